import { createHash, randomBytes } from 'node:crypto';

/** The GUID every Sec-WebSocket-Accept is derived with. RFC 6455 §1.3. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). RFC 6455 §4.2.2. */
export function acceptKeyFor(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. RFC 6455 §4.1. */
export function newClientKey(): string {
  return randomBytes(16).toString('base64');
}

/** True when `key` is base64 of exactly 16 bytes (24 characters ending in "=="). */
export function isValidClientKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(key);
}
