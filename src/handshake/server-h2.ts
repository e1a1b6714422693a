import type { UpgradeRequest } from '../conn/connection';
import { HandshakeError } from '../errors';
import { checkUpgradePolicy, type AcceptedUpgrade, type HandshakePolicy } from './server';
import { headerValue } from './tokens';

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 throws on them, so they are left out. */
const CONNECTION_SPECIFIC = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'http2-settings', 'host']);

/**
 * Checks an extended CONNECT request (RFC 8441 §4-5): :method CONNECT (405), :protocol
 * websocket, a :scheme, a :path starting with "/" and an :authority (a host beside it
 * naming the same; 400 each), and
 * sec-websocket-version 13 (426). There is no key to check: HTTP/2 has no 101 to prove.
 * Then the same origin and subprotocol policy as HTTP/1.1 (checkUpgradePolicy).
 */
export function checkConnectRequest(request: UpgradeRequest, policy: HandshakePolicy): AcceptedUpgrade | HandshakeError {
  const { headers } = request;
  if (request.method !== 'CONNECT') return new HandshakeError(`method ${request.method} is not CONNECT`, 405);
  const protocol = headerValue(headers[':protocol']);
  if (protocol !== 'websocket') return new HandshakeError(`:protocol ${JSON.stringify(protocol ?? '')} is not "websocket"`, 400);
  const scheme = headerValue(headers[':scheme']);
  if (scheme !== 'https' && scheme !== 'http') return new HandshakeError(`:scheme ${JSON.stringify(scheme ?? '')} is not https or http`, 400);
  if (!request.url.startsWith('/')) return new HandshakeError(`:path ${JSON.stringify(request.url)} does not start with "/"`, 400);
  const authority = headerValue(headers[':authority']);
  if (!authority) return new HandshakeError('missing :authority', 400);
  // RFC 9113 §8.3.1: a Host beside :authority must name the same thing (the origin check reads it).
  const host = headerValue(headers.host);
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return new HandshakeError('host differs from :authority', 400);
  const version = headerValue(headers['sec-websocket-version']);
  if (version !== '13') return new HandshakeError(`unsupported sec-websocket-version ${JSON.stringify(version ?? '')}`, 426);
  const agreed = checkUpgradePolicy(request, policy);
  return agreed instanceof HandshakeError ? agreed : { key: '', subprotocol: agreed.subprotocol };
}

/** The request as the policy callbacks see it: `host` is the :authority (HTTP/2 sends no Host). */
export function connectRequest(headers: Record<string, string | string[] | undefined>): UpgradeRequest {
  const copy: Record<string, string | string[] | undefined> = { ...headers };
  copy.host ??= headers[':authority'];
  return { method: headerValue(headers[':method']) ?? '', url: headerValue(headers[':path']) ?? '', headers: copy };
}

/** The :status 200 answer (RFC 8441 §5): no Upgrade, Connection or Sec-WebSocket-Accept. */
export function acceptHeaders(accepted: AcceptedUpgrade, extensions: string, extra: Record<string, string>): Record<string, string | number> {
  const headers: Record<string, string | number> = { ':status': 200 };
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || CONNECTION_SPECIFIC.has(lower) || /[\r\n\0]/.test(name + value)) continue;
    headers[lower] = value;
  }
  if (accepted.subprotocol) headers['sec-websocket-protocol'] = accepted.subprotocol;
  if (extensions) headers['sec-websocket-extensions'] = extensions;
  return headers;
}

/** A refused extended CONNECT: the same status as over HTTP/1.1, a short text body. */
export function rejectHeaders(error: HandshakeError): Record<string, string | number> {
  const headers: Record<string, string | number> = { ':status': error.status || 400, 'content-type': 'text/plain; charset=utf-8' };
  if (headers[':status'] === 426) headers['sec-websocket-version'] = '13';
  if (headers[':status'] === 405) headers.allow = 'CONNECT';
  return headers;
}
