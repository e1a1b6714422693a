import type { Completion } from './completions';

/** A whenWritten() caller. */
export interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * An outgoing message that cannot go to the socket yet, with its place in the line: its
 * payload is still being compressed (`pending`), a streaming writer is still adding frames
 * to it (`open`), or something ahead of it is one of those. Made by the outbox only; the
 * sender holds it as a ticket.
 */
export interface OutgoingWork {
  /** Frames ready but not yet moved to the socket's line. */
  frames: Uint8Array[];
  /** What this work counts in bufferedAmount: its frames' bytes, or the estimate while pending. */
  bytes: number;
  pending: boolean;
  open: boolean;
  /** Told once this work's frames are with the socket and it is under its high-water mark. */
  waiters: Waiter[] | null;
  /** The close frame's: told once it is written. */
  onWritten: (() => void) | null;
  /** The write callbacks of its sends, settled by the write of its frames. */
  done: Completion[] | null;
}

/** A new item of the outbox's line. */
export function work(frames: Uint8Array[], bytes: number, pending: boolean, open: boolean): OutgoingWork {
  return { frames, bytes, pending, open, waiters: null, onWritten: null, done: null };
}

/** The bytes of `frames` together. */
export function sizeOf(frames: readonly Uint8Array[]): number {
  let size = 0;
  for (const frame of frames) size += frame.length;
  return size;
}
