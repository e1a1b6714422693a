/**
 * The WebIDL conversions and checks a WHATWG WebSocket's constructor, send() and close()
 * apply to their arguments (https://websockets.spec.whatwg.org/, §3.1).
 */
import { isToken } from './handshake/tokens';
import { CloseCode, MAX_CLOSE_REASON_BYTES } from './protocol/close-code';

/** A DOMException named `name` (an Error with that name where DOMException is missing). */
export function domError(name: string, message: string): Error {
  return typeof DOMException === 'function' ? new DOMException(message, name) : Object.assign(new Error(message), { name });
}

/**
 * The constructor's URL steps: parse (no base URL outside a document), map http:/https: to
 * ws:/wss:, refuse other schemes and any fragment, even an empty one (`ws://h/#`).
 */
export function parseWebSocketUrl(url: unknown): URL {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw domError('SyntaxError', `invalid URL: ${String(url)}`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw domError('SyntaxError', `unsupported scheme ${parsed.protocol}`);
  // `hash` is '' for an empty fragment too; the serialization keeps its '#'.
  if (parsed.href.includes('#')) throw domError('SyntaxError', 'a WebSocket URL has no fragment');
  return parsed;
}

/**
 * The constructor's protocols argument, `(DOMString or sequence<DOMString>)`: each must be a
 * token (RFC 6455 §4.1) and none may repeat, compared case-insensitively.
 */
export function parseProtocols(protocols: unknown): string[] {
  const list = typeof protocols === 'object' && protocols !== null && Symbol.iterator in protocols
    ? Array.from(protocols as Iterable<unknown>, String)
    : [String(protocols)];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!isToken(protocol)) throw domError('SyntaxError', `invalid subprotocol ${JSON.stringify(protocol)}`);
    const key = protocol.toLowerCase();
    if (seen.has(key)) throw domError('SyntaxError', `duplicate subprotocol ${JSON.stringify(protocol)}`);
    seen.add(key);
  }
  return list;
}

/** WebIDL `[Clamp] unsigned short`: NaN is 0, clamped to 0-65535, rounded half to even. */
function clampUnsignedShort(value: number): number {
  const x = Math.min(Math.max(Number.isNaN(value) ? 0 : value, 0), 65535);
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/**
 * The close() code a script may send: 1000 or 3000-4999, else InvalidAccessError; null when
 * absent. `+code` converts as WebIDL's ToNumber does (a BigInt or Symbol throws TypeError).
 */
export function closeCodeArgument(code: unknown): number | null {
  if (code === undefined) return null;
  const clamped = clampUnsignedShort(+(code as number));
  if (clamped !== CloseCode.Normal && !(clamped >= 3000 && clamped <= 4999)) {
    throw domError('InvalidAccessError', `close code ${String(code)} is not 1000 or 3000-4999`);
  }
  return clamped;
}

/** True for a SharedArrayBuffer or a view on one: WebIDL's BufferSource excludes them. */
export function isShared(data: unknown): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return data instanceof SharedArrayBuffer || (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer);
}

const encoder = new TextEncoder();

/** The close() reason as a USVString: at most 123 bytes of UTF-8, else SyntaxError. */
export function closeReasonArgument(reason: unknown): string {
  if (reason === undefined) return '';
  const text = String(reason);
  if (encoder.encode(text).length > MAX_CLOSE_REASON_BYTES) throw domError('SyntaxError', 'close reason longer than 123 bytes');
  return text;
}

/** True for a Blob (false where the runtime has none). */
export function isBlob(data: unknown): data is Blob {
  return typeof Blob === 'function' && data instanceof Blob;
}

/** What send() passes on: bytes and Blobs as they are, anything else as a string. */
export type WebSocketData = string | ArrayBuffer | ArrayBufferView | Blob;

/**
 * send()'s argument, `(BufferSource or Blob or USVString)`: a SharedArrayBuffer or a view on
 * one is a TypeError; a value of no other member type becomes a string (`send(42)` sends "42").
 */
export function sendArgument(data: unknown): WebSocketData {
  if (typeof data === 'string') return data;
  if (isShared(data)) throw new TypeError('send() does not take a SharedArrayBuffer or a view on one');
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data;
  if (isBlob(data)) return data;
  return String(data);
}
