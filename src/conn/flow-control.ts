/**
 * Pauses and resumes the socket's reading on behalf of one holder (a bit): reading resumes
 * only when no holder wants it paused, so one holder's resume cannot undo another's pause.
 */
export interface FlowControl {
  pauseReading(holder: number): void;
  resumeReading(holder: number): void;
}

/** The holder bit of FlowControl the inbox uses. */
export const HOLDER_INBOX = 1;

/** The holder bit a callback handler's delivery uses while its replies wait to be written (see callback-delivery). */
export const HOLDER_CALLBACKS = 4;
