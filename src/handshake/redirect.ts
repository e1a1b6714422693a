import type { ConnectionOptions } from 'node:tls';
import { HandshakeError, WebSocketError } from '../errors';

/** Where one attempt of a dial goes, and what it carries there. */
export interface Hop {
  url: URL;
  /** The user's extra headers as they stand for this hop (credentials go once the origin changes). */
  headers: Record<string, string>;
  /** The user's node:tls options as they stand for this hop. */
  tls: ConnectionOptions | undefined;
}

/** The redirect statuses fetch follows (RFC 9110 §15.4); 300, 304 and 305 are not redirects to follow. */
export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];

/** The most redirects a dial follows, whatever it asks for. */
export const MAX_REDIRECTS = 10;

/**
 * Headers that carry credentials, or name the origin they were written for: dropped for
 * good when a redirect leaves the origin (undici and Go drop the same; fetch drops
 * Authorization and never lets a page set Cookie or Proxy-Authorization).
 */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'host'];

/**
 * TLS options bound to the first server: its name (reused, it would check the next
 * server's certificate against the first one's name) and the client certificate, a
 * credential. Trust settings (ca, rejectUnauthorized, ciphers, ...) stay.
 */
const ORIGIN_BOUND_TLS: readonly (keyof ConnectionOptions)[] = ['servername', 'cert', 'key', 'pfx', 'passphrase', 'session'];

/** How many redirects `followRedirects` allows: true = 10, a number up to 10, false/undefined = 0. */
export function redirectLimit(followRedirects: boolean | number | undefined): number {
  if (followRedirects === undefined || followRedirects === false) return 0;
  if (followRedirects === true) return MAX_REDIRECTS;
  if (!Number.isInteger(followRedirects) || followRedirects < 0) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `followRedirects must be a boolean or a non-negative integer, got ${String(followRedirects)}`);
  }
  return Math.min(followRedirects, MAX_REDIRECTS);
}

/** True for wss:// and https:// URLs. */
export function isSecure(url: URL): boolean {
  return url.protocol === 'wss:' || url.protocol === 'https:';
}

/** scheme://host:port with ws ≡ http and wss ≡ https: a WebSocket URL's origin (RFC 6455 §3, RFC 6454). */
export function originOf(url: URL): string {
  const scheme = isSecure(url) ? 'wss' : 'ws';
  return `${scheme}://${url.hostname.toLowerCase()}:${url.port || (scheme === 'wss' ? '443' : '80')}`;
}

/**
 * The next hop after a redirect to `location`, or the HandshakeError that refuses it.
 * Refused: a URL that does not parse, a scheme other than ws/wss/http/https, a way out of
 * TLS (wss:// to ws:// or http://), a URL with credentials in it (fetch's rule). Relative
 * locations resolve against the current URL; a fragment is dropped. When the origin
 * changes, origin-bound headers (Authorization, Cookie, Proxy-Authorization, Host, and
 * the names in `sensitiveHeaders`) and TLS options are dropped; on the same origin
 * everything is kept.
 */
export function nextHop(hop: Hop, location: string, status: number, responseHeaders: Record<string, string>, sensitiveHeaders: readonly string[] = []): Hop | HandshakeError {
  const refuse = (why: string) => new HandshakeError(`refusing the redirect to ${JSON.stringify(location.slice(0, 200))}: ${why}`, status, responseHeaders);
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    return refuse('not a valid URL');
  }
  if (url.protocol === 'http:') url = new URL(`ws:${url.href.slice('http:'.length)}`);
  else if (url.protocol === 'https:') url = new URL(`wss:${url.href.slice('https:'.length)}`);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return refuse(`unsupported scheme ${url.protocol}`);
  if (isSecure(hop.url) && !isSecure(url)) return refuse('it leaves TLS (wss:// to ws://)');
  if (url.username || url.password) return refuse('the URL holds credentials');
  url.hash = '';
  if (originOf(url) === originOf(hop.url)) return { url, headers: hop.headers, tls: hop.tls };
  const dropped = new Set([...ORIGIN_BOUND_HEADERS, ...sensitiveHeaders.map((name) => name.toLowerCase())]);
  const headers = Object.create(null) as Record<string, string>; // a '__proto__' header stays a header
  for (const [name, value] of Object.entries(hop.headers)) {
    if (!dropped.has(name.toLowerCase())) headers[name] = value;
  }
  let tls = hop.tls;
  if (tls) {
    tls = { ...tls };
    for (const option of ORIGIN_BOUND_TLS) delete tls[option];
  }
  return { url, headers, tls };
}
