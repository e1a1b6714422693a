/** Close status codes. RFC 6455 §7.4.1, and the IANA registry. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: never on the wire; reported when a close frame had no code. */
  NoStatus: 1005,
  /** Reserved: never on the wire; reported when the connection dropped without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
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
