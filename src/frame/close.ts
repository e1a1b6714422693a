import type { FrameCodec } from '../codec/codec';
import { UTF8_ACCEPT } from '../codec/constants';
import { ProtocolError, WebSocketError } from '../errors';
import { CloseCode, isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from '../protocol/close-code';

/** A parsed close frame payload. */
export interface ClosePayload {
  /** The code, or 1005 (NoStatus) when the payload was empty. */
  code: number;
  /** The reason, UTF-8 decoded ('' when none). */
  reason: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Reads a received close payload. RFC 6455 §5.5.1, §7.4: empty, or a valid code followed by a
 * UTF-8 reason. A 1-byte payload or an invalid code is 1002; a bad reason is 1007.
 */
export function parseClosePayload(payload: Uint8Array, codec: FrameCodec): ClosePayload | ProtocolError {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) return new ProtocolError('WS_ERR_BAD_CLOSE_PAYLOAD', 1002, 'close payload of 1 byte');
  const code = (payload[0] << 8) | payload[1];
  if (!isValidWireCloseCode(code)) return new ProtocolError('WS_ERR_BAD_CLOSE_CODE', 1002, `invalid close code ${code}`);
  if (codec.utf8(payload, 2, payload.length, UTF8_ACCEPT) !== UTF8_ACCEPT) {
    return new ProtocolError('WS_ERR_INVALID_CLOSE_REASON', 1007, 'close reason is not valid UTF-8');
  }
  return { code, reason: decoder.decode(payload.subarray(2)) };
}

/**
 * Validates a close the application asked for and encodes its payload.
 * Throws (misuse) on a code outside 1000-1003, 1007-1014, 3000-4999 or a reason over 123 bytes.
 * Code undefined means an empty payload (the peer will see 1005).
 */
export function encodeClosePayload(code: number | undefined, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'a close reason needs a close code');
    return new Uint8Array(0);
  }
  if (!isValidWireCloseCode(code)) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `close code ${code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`);
  }
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `close reason is ${reasonBytes.length} bytes; at most ${MAX_CLOSE_REASON_BYTES}`);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}


/** Cuts a reason to at most 123 UTF-8 bytes without splitting a character (for failures we report). */
export function fitCloseReason(reason: string): string {
  let bytes = encoder.encode(reason);
  while (bytes.length > MAX_CLOSE_REASON_BYTES) {
    reason = reason.slice(0, -1);
    bytes = encoder.encode(reason);
  }
  return reason;
}
