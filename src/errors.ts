import {
  STATUS_BAD_OPCODE, STATUS_BAD_RSV1, STATUS_BAD_RSV23, STATUS_CONTROL_TOO_LONG,
  STATUS_EXPECTED_CONTINUATION, STATUS_FRAGMENTED_CONTROL, STATUS_INVALID_UTF8,
  STATUS_LENGTH_TOP_BIT, STATUS_LENGTH_UNSAFE, STATUS_MASKED, STATUS_MESSAGE_TOO_BIG,
  STATUS_UNEXPECTED_CONTINUATION, STATUS_UNMASKED,
} from './codec/constants';
import { CloseCode } from './protocol/close-code';

/** Stable error codes: part of the public API (messages may change, codes do not). */
export type ErrorCode =
  | 'WS_ERR_BAD_OPCODE'
  | 'WS_ERR_FRAGMENTED_CONTROL'
  | 'WS_ERR_CONTROL_TOO_LONG'
  | 'WS_ERR_BAD_LENGTH'
  | 'WS_ERR_UNSUPPORTED_LENGTH'
  | 'WS_ERR_BAD_RSV1'
  | 'WS_ERR_BAD_RSV23'
  | 'WS_ERR_UNMASKED_FRAME'
  | 'WS_ERR_MASKED_FRAME'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_MESSAGE_TOO_BIG'
  | 'WS_ERR_TOO_MANY_FRAGMENTS'
  | 'WS_ERR_BAD_CLOSE_PAYLOAD'
  | 'WS_ERR_BAD_CLOSE_CODE'
  | 'WS_ERR_INVALID_CLOSE_REASON'
  | 'WS_ERR_INFLATE_FAILED'
  | 'WS_ERR_DEFLATE_FAILED'
  | 'WS_ERR_HANDSHAKE'
  | 'WS_ERR_TIMEOUT'
  | 'WS_ERR_CLOSED'
  | 'WS_ERR_ALREADY_CLOSED'
  | 'WS_ERR_INVALID_ARGUMENT'
  | 'WS_ERR_BUFFER_FULL'
  | 'WS_ERR_TOO_MANY_PINGS'
  | 'WS_ERR_BROKER_UNREACHABLE';

/** Close codes a protocol error may send. */
export type ProtocolCloseCode = 1002 | 1007 | 1008 | 1009 | 1010 | 1011;

/** Base class of every error this library throws or reports. */
export class WebSocketError extends Error {
  /** Stable and documented; see ErrorCode. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The peer broke RFC 6455 (or a limit): the connection is closed with `closeCode`. */
export class ProtocolError extends WebSocketError {
  /** The close code the connection is failed with: 1002, 1007, 1009, ... */
  readonly closeCode: ProtocolCloseCode;
  constructor(code: ErrorCode, closeCode: ProtocolCloseCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.closeCode = closeCode;
  }
}

/** The opening handshake failed: a bad request (server side) or a bad response (client side). */
export class HandshakeError extends WebSocketError {
  /** The HTTP status sent (server) or received (client); 0 when none was exchanged. */
  readonly status: number;
  /** Response headers received (client side), lower-case names. */
  readonly headers: Record<string, string>;
  /** Up to 4 KiB of the response body (client side). */
  readonly body: Uint8Array;
  constructor(message: string, status = 0, headers: Record<string, string> = {}, body: Uint8Array = new Uint8Array(0), options?: ErrorOptions) {
    super('WS_ERR_HANDSHAKE', message, options);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/** The connection closed while something was waiting on it; `closeCode` says how. */
export class CloseError extends WebSocketError {
  /** The close code received (or sent, when we failed the connection); 1006 if none was exchanged. */
  readonly closeCode: number;
  /** The close reason that went with the code. */
  readonly reason: string;
  /** True when both close frames were exchanged before TCP closed (RFC 6455 §7.1.5). */
  readonly wasClean: boolean;
  constructor(closeCode: number, reason: string, wasClean: boolean, options?: ErrorOptions) {
    super('WS_ERR_CLOSED', `connection closed: ${closeCode}${reason ? ` ${reason}` : ''}`, options);
    this.closeCode = closeCode;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/** A deadline passed: handshake, pong, close handshake or idle timeout. */
export class TimeoutError extends WebSocketError {
  constructor(message: string) {
    super('WS_ERR_TIMEOUT', message);
  }
}

/** Caller misuse: an operation on a connection that is closing or closed. */
export class AlreadyClosedError extends WebSocketError {
  constructor(message = 'the connection is closing or closed') {
    super('WS_ERR_ALREADY_CLOSED', message);
  }
}

/** Codes that count as an expected close for isUnexpectedClose when none are given. */
const EXPECTED_BY_DEFAULT: readonly number[] = [CloseCode.Normal, CloseCode.GoingAway, CloseCode.NoStatus];

/**
 * True when `err` is a CloseError whose code is not among `expectedCodes` (default: 1000,
 * 1001, 1005), the way gorilla's IsUnexpectedCloseError reads.
 */
export function isUnexpectedClose(err: unknown, ...expectedCodes: number[]): boolean {
  if (!(err instanceof CloseError)) return false;
  const expected = expectedCodes.length > 0 ? expectedCodes : EXPECTED_BY_DEFAULT;
  return !expected.includes(err.closeCode);
}

/** The one table from codec status to error: nothing else builds frame-level errors. */
const STATUS_ERRORS: Record<number, readonly [ErrorCode, ProtocolCloseCode, string]> = {
  [STATUS_BAD_OPCODE]: ['WS_ERR_BAD_OPCODE', 1002, 'reserved opcode'],
  [STATUS_FRAGMENTED_CONTROL]: ['WS_ERR_FRAGMENTED_CONTROL', 1002, 'fragmented control frame'],
  [STATUS_CONTROL_TOO_LONG]: ['WS_ERR_CONTROL_TOO_LONG', 1002, 'control frame payload over 125 bytes'],
  [STATUS_LENGTH_TOP_BIT]: ['WS_ERR_BAD_LENGTH', 1002, '64-bit payload length with the most significant bit set'],
  [STATUS_LENGTH_UNSAFE]: ['WS_ERR_UNSUPPORTED_LENGTH', 1009, 'payload length above 2^53 - 1'],
  [STATUS_BAD_RSV1]: ['WS_ERR_BAD_RSV1', 1002, 'RSV1 set without a negotiated extension that defines it'],
  [STATUS_BAD_RSV23]: ['WS_ERR_BAD_RSV23', 1002, 'RSV2 or RSV3 set'],
  [STATUS_UNMASKED]: ['WS_ERR_UNMASKED_FRAME', 1002, 'unmasked frame from a client'],
  [STATUS_MASKED]: ['WS_ERR_MASKED_FRAME', 1002, 'masked frame from a server'],
  [STATUS_UNEXPECTED_CONTINUATION]: ['WS_ERR_UNEXPECTED_CONTINUATION', 1002, 'continuation frame with no message in progress'],
  [STATUS_EXPECTED_CONTINUATION]: ['WS_ERR_EXPECTED_CONTINUATION', 1002, 'new message while a fragmented message is in progress'],
  [STATUS_INVALID_UTF8]: ['WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 in a text message'],
  [STATUS_MESSAGE_TOO_BIG]: ['WS_ERR_MESSAGE_TOO_BIG', 1009, 'message larger than maxMessageBytes'],
};

/** The ProtocolError for a negative codec status. */
export function errorFromStatus(status: number): ProtocolError {
  const entry = STATUS_ERRORS[status];
  if (entry === undefined) return new ProtocolError('WS_ERR_BAD_OPCODE', 1002, `codec status ${status}`);
  return new ProtocolError(entry[0], entry[1], entry[2]);
}
