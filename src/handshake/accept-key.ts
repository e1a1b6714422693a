import * as crypto from 'node:crypto';

/** The GUID every Sec-WebSocket-Accept is derived with. RFC 6455 §1.3. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

type OneShotHash = (algorithm: string, data: string, encoding: 'base64') => string;
/**
 * crypto.hash (Node ≥ 20.12 / 21.7) hashes in one call, without the Hash object
 * createHash makes per handshake (half the cost); where a runtime lacks it, createHash.
 */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). RFC 6455 §4.2.2. */
export function acceptKeyFor(key: string): string {
  const input = key + WEBSOCKET_GUID;
  return typeof oneShot === 'function' ? oneShot('sha1', input, 'base64') : crypto.createHash('sha1').update(input).digest('base64');
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. RFC 6455 §4.1. */
export function newClientKey(): string {
  return crypto.randomBytes(16).toString('base64');
}

const CLIENT_KEY = /^[A-Za-z0-9+/]{22}==$/;

/** True when `key` is base64 of exactly 16 bytes (24 characters ending in "=="). */
export function isValidClientKey(key: string): boolean {
  return CLIENT_KEY.test(key);
}
