import { CloseCode } from '../protocol/close-code';

/** How a connection ended. */
export interface CloseInfo {
  /** The close code received (or sent, when we failed the connection); 1006 if none was exchanged. */
  code: number;
  /** The close reason that went with the code. */
  reason: string;
  /** True when both close frames were exchanged before TCP closed. RFC 6455 §7.1.5. */
  wasClean: boolean;
}

/**
 * How a connection ended, from what the close handshake saw: clean only when both close
 * frames were exchanged (RFC 6455 §7.1.5), ours written, not merely queued (behind an
 * abandoned writer it may never go out); else the failure's code, else 1006.
 */
export function closeInfoOf(
  received: { code: number; reason: string } | null,
  written: boolean,
  failure: { code: number; reason: string } | null,
): CloseInfo {
  if (received && written && !failure) return { code: received.code, reason: received.reason, wasClean: true };
  if (failure) return { code: failure.code, reason: failure.reason, wasClean: false };
  return { code: CloseCode.Abnormal, reason: '', wasClean: false };
}
