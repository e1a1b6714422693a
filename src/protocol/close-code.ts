/** Close status codes. RFC 6455 §7.4.1, and the IANA registry. */
export const CloseCode = {
  /** Normal closure: the purpose of the connection was fulfilled. */
  Normal: 1000,
  /** Going away: a server shutting down, a page navigated away. */
  GoingAway: 1001,
  /** The peer broke the protocol. */
  ProtocolError: 1002,
  /** A data type the endpoint cannot accept (e.g. binary where only text is expected). */
  UnsupportedData: 1003,
  /** Reserved: never on the wire; reported when a close frame had no code. */
  NoStatus: 1005,
  /** Reserved: never on the wire; reported when the connection dropped without a close frame. */
  Abnormal: 1006,
  /** Data inconsistent with its type: invalid UTF-8 in a text message. */
  InvalidPayload: 1007,
  /** A policy was violated (e.g. a subscriber that fell behind). */
  PolicyViolation: 1008,
  /** A message too big to process (over maxMessageBytes). */
  MessageTooBig: 1009,
  /** Client: the server did not agree to an extension the client needs. */
  MandatoryExtension: 1010,
  /** The endpoint failed unexpectedly (e.g. a handler that threw). */
  InternalError: 1011,
  /** The service is restarting. */
  ServiceRestart: 1012,
  /** Overloaded: try again later. */
  TryAgainLater: 1013,
  /** A gateway or proxy got an invalid response upstream. */
  BadGateway: 1014,
  /** Reserved: never on the wire; reported when the TLS handshake failed. */
  TlsHandshake: 1015,
} as const;

/** One of the named close codes. Application codes 3000-4999 are plain numbers. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * True for a code that may appear in a close frame: 1000-1003, 1007-1014 and 3000-4999.
 * 1004-1006 and 1015 are reserved for local reporting; 1016-2999 are unassigned.
 * RFC 6455 §7.4.
 */
export function isValidWireCloseCode(code: number): boolean {
  return Number.isInteger(code) && (
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
  );
}

/** Close reasons are at most 123 bytes of UTF-8 (125 byte control payload minus the code). */
export const MAX_CLOSE_REASON_BYTES = 123;
