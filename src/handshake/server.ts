import type { UpgradeRequest } from '../conn/connection';
import { HandshakeError } from '../errors';
import { acceptKeyFor, isValidClientKey } from './accept-key';
import { isFieldName, isFieldValue } from './http-fields';
import { hasToken, headerTokens, headerValue, isToken } from './tokens';

/** Server-side handshake policy (the Upgrader's part of the options). */
export interface HandshakePolicy {
  /**
   * Subprotocols the server speaks, in preference order; or a function that picks one of
   * the client's offers (return undefined for none).
   */
  subprotocols?: readonly string[] | ((offered: string[], request: UpgradeRequest) => string | undefined);
  /**
   * Decides whether a browser page from `origin` may connect. Default: same origin only
   * (the Origin's host:port equals Host), as gorilla does; requests without Origin (non-browser
   * clients) are allowed.
   */
  checkOrigin?: (origin: string, request: UpgradeRequest) => boolean;
  /**
   * Extra headers for the 101 response. Entries that are not valid fields (a name that is
   * not a token, a value with CR, LF or another control byte) or that name a field the
   * handshake writes (Upgrade, Connection, Sec-WebSocket-*) are left out.
   */
  headers?: Record<string, string> | ((request: UpgradeRequest) => Record<string, string>);
}

/** What a valid upgrade request agreed on. */
export interface AcceptedUpgrade {
  key: string;
  subprotocol: string;
}

/** The same-origin rule: an Origin header, when present, must name the Host the request was sent to. */
export function isSameOrigin(origin: string, request: UpgradeRequest): boolean {
  const host = headerValue(request.headers.host);
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Fields a request carries at most once: Host (RFC 9112 §3.2), Origin (RFC 6454 §7.3),
 * Sec-WebSocket-Key and Sec-WebSocket-Version (RFC 6455 §11.3.1, §11.3.5).
 */
const SINGLE_FIELDS = ['host', 'origin', 'sec-websocket-key', 'sec-websocket-version'];

/** host [":" port], as a Host header may hold it (RFC 9110 §7.2, RFC 3986 §3.2.2). */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d*)?$/;

/**
 * A field that appears more than once in the raw header list of a node:http request (whose
 * `headers` keeps only the first Host, and joins repeated Origins), as a 400.
 */
export function repeatedSingleField(rawHeaders: readonly string[]): HandshakeError | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!SINGLE_FIELDS.includes(name)) continue;
    if (seen.has(name)) return new HandshakeError(`more than one ${name} header`, 400);
    seen.add(name);
  }
  return undefined;
}

function isAtLeast11(httpVersion: string): boolean {
  const [major, minor] = httpVersion.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 1);
}

/**
 * Checks an opening handshake request. RFC 6455 §4.2.1: GET, HTTP/1.1 or later, one valid
 * Host (RFC 9112 §3.2), Upgrade: websocket and Connection: Upgrade (token lists,
 * case-insensitive), one key that decodes to 16 bytes, version 13 (else 426), no body (the
 * bytes after the head are frames: a Content-Length or Transfer-Encoding that says
 * otherwise is how a request is read two ways). Then the origin policy (403) and the
 * subprotocol choice.
 */
export function checkUpgradeRequest(request: UpgradeRequest, httpVersion: string, policy: HandshakePolicy): AcceptedUpgrade | HandshakeError {
  const { headers } = request;
  if (request.method !== 'GET') return new HandshakeError(`method ${request.method} is not GET`, 405);
  if (httpVersion !== '1.1' && !isAtLeast11(httpVersion)) return new HandshakeError(`HTTP/${httpVersion} is older than 1.1`, 400);
  for (const name of SINGLE_FIELDS) {
    if (Array.isArray(headers[name])) return new HandshakeError(`more than one ${name} header`, 400);
  }
  const host = headerValue(headers.host);
  if (host === undefined) return new HandshakeError('missing Host header', 400);
  if (!HOST_VALUE.test(host)) return new HandshakeError(`invalid Host header ${JSON.stringify(host.slice(0, 40))}`, 400);
  if (headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')) {
    return new HandshakeError('an upgrade request has no body', 400);
  }
  if (!hasToken(headers.upgrade, 'websocket')) return new HandshakeError('Upgrade header does not contain "websocket"', 400);
  if (!hasToken(headers.connection, 'upgrade')) return new HandshakeError('Connection header does not contain "Upgrade"', 400);
  const version = headerValue(headers['sec-websocket-version']);
  if (version !== '13') return new HandshakeError(`unsupported Sec-WebSocket-Version ${JSON.stringify(version ?? '')}`, 426);
  const key = headerValue(headers['sec-websocket-key']);
  if (key === undefined || !isValidClientKey(key.trim())) return new HandshakeError('Sec-WebSocket-Key is not base64 of 16 bytes', 400);
  const agreed = checkUpgradePolicy(request, policy);
  return agreed instanceof HandshakeError ? agreed : { key: key.trim(), subprotocol: agreed.subprotocol };
}

/**
 * The policy half of a handshake, the same over HTTP/1.1 and HTTP/2 (RFC 8441 §5 keeps
 * Origin and Sec-WebSocket-Protocol as they are): the origin check (403), then the
 * subprotocol choice (400 for an offer that is not a token, 500 for a choice not offered).
 */
export function checkUpgradePolicy(request: UpgradeRequest, policy: HandshakePolicy): { subprotocol: string } | HandshakeError {
  const { headers } = request;
  const origin = headerValue(headers.origin);
  if (origin !== undefined) {
    const allowed = policy.checkOrigin ? policy.checkOrigin(origin, request) : isSameOrigin(origin, request);
    if (!allowed) return new HandshakeError(`origin ${origin} is not allowed`, 403);
  }
  const offered = headerTokens(headers['sec-websocket-protocol']);
  if (offered.some((p) => !isToken(p))) return new HandshakeError('Sec-WebSocket-Protocol holds a value that is not a token', 400);
  let subprotocol = '';
  if (offered.length > 0 && policy.subprotocols) {
    const chosen = typeof policy.subprotocols === 'function'
      ? policy.subprotocols(offered, request)
      : policy.subprotocols.find((p) => offered.includes(p));
    if (chosen !== undefined && !offered.includes(chosen)) {
      return new HandshakeError(`subprotocol ${chosen} was not offered`, 500);
    }
    subprotocol = chosen ?? '';
  }
  return { subprotocol };
}

/** Fields of the 101 the handshake writes; the `headers` option cannot add them again. */
const RESPONSE_HANDSHAKE_FIELDS = ['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions'];

/**
 * The 101 response for an accepted upgrade. RFC 6455 §4.2.2. Extra headers that are not
 * valid fields, or that repeat a handshake field, are left out.
 */
export function acceptResponse(accepted: AcceptedUpgrade, extensions: string, extra: Record<string, string>): string {
  // One string, built in place: the 101 is written once per handshake.
  let response = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(accepted.key)}\r\n`;
  if (accepted.subprotocol) response += `Sec-WebSocket-Protocol: ${accepted.subprotocol}\r\n`;
  if (extensions) response += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  for (const name in extra) {
    const value = extra[name];
    // Never let a header split the response, nor send a handshake field twice.
    if (!Object.hasOwn(extra, name) || !isFieldName(name) || !isFieldValue(value) || RESPONSE_HANDSHAKE_FIELDS.includes(name.toLowerCase())) continue;
    response += `${name}: ${value}\r\n`;
  }
  return `${response}\r\n`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 426: 'Upgrade Required', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** A short error response that closes the connection; 426 names the version we speak. */
export function rejectResponse(error: HandshakeError): string {
  const status = error.status || 400;
  const body = `${error.message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${new TextEncoder().encode(body).length}`,
  ];
  if (status === 426) lines.push('Sec-WebSocket-Version: 13', 'Upgrade: websocket');
  if (status === 405) lines.push('Allow: GET');
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
