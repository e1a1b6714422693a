import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { dialHttp2 } from './client-http2';
import { Conn, type ConnSocket } from './conn/connection';
import { HandshakeError, TimeoutError, WebSocketError } from './errors';
import { newClientKey } from './handshake/accept-key';
import { agreedDeflate, buildRequest, checkResponse, checkUserHeaders, flatten, responseHead, type ClientRequest, type ResponseHead } from './handshake/client';
import { exchangeHead, readBody } from './handshake/exchange';
import { proxyFor } from './handshake/proxy';
import { isSecure, nextHop, originOf, redirectLimit, REDIRECT_STATUSES, type Hop } from './handshake/redirect';
import { openTcp, openTls, openTunnel, openWith, type CreateConnection, type SocketList } from './handshake/transport';
import type { ConnOptions } from './options';
import { clientOffer, PERMESSAGE_DEFLATE, type CompressionOptions } from './extensions/deflate-negotiation';
import { formatExtension } from './extensions/extension-header';
import { nativeTransport, type Transport } from './transport/pick';

/** Options of dial() (gorilla's Dialer). */
export interface DialOptions extends ConnOptions {
  /**
   * Extra request headers (e.g. Authorization, Cookie, Origin). Names must be tokens and
   * values free of control characters; a Host here replaces the one derived from the URL;
   * the handshake's own fields (Upgrade, Sec-WebSocket-*) are refused.
   */
  headers?: Record<string, string>;
  /** Subprotocols to offer, in preference order. */
  subprotocols?: readonly string[];
  /** Time allowed for the whole dial: connect + TLS + proxy + handshake, across every redirect. Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Aborts the dial (not the connection once open). */
  signal?: AbortSignal;
  /**
   * Passed to node:tls for wss:// (ca, cert, key, rejectUnauthorized, servername, ...). A
   * redirect to another origin keeps the trust settings and drops servername and the client
   * certificate (cert, key, pfx, passphrase) and session.
   */
  tls?: ConnectionOptions;
  /**
   * A proxy URL (http://user:pass@host:port, or https:// to speak TLS to the proxy itself),
   * 'env' for HTTPS_PROXY/HTTP_PROXY/NO_PROXY, or false. Re-evaluated for every redirect hop.
   * Other schemes are refused (WS_ERR_INVALID_ARGUMENT).
   */
  proxy?: string | false;
  /** Passed to node:tls for the connection to an https: proxy (ca, ...). */
  proxyTls?: ConnectionOptions;
  /**
   * Follow 301/302/303/307/308 redirects (true = up to 10, or a number, at most 10). Default
   * false. A redirect out of TLS (wss:// to ws://), to another scheme, or to a URL with
   * credentials is refused with a HandshakeError carrying the 3xx status. When a redirect
   * leaves the origin, Authorization, Cookie, Proxy-Authorization, Host and the
   * `sensitiveHeaders` are dropped for the rest of the dial.
   */
  followRedirects?: boolean | number;
  /** More header names to drop, with the credentials, when a redirect leaves the origin. */
  sensitiveHeaders?: readonly string[];
  /** Largest response head accepted. Default 16 KiB. */
  maxHeadBytes?: number;
  /** Offer permessage-deflate (RFC 7692). Default true; false offers nothing. */
  compression?: boolean | CompressionOptions;
  /**
   * WebSockets over HTTP/2 (RFC 8441) for wss://: an extended CONNECT stream on one shared
   * session per origin. 'auto' falls back to HTTP/1.1 when the server does not offer it
   * (ALPN, SETTINGS_ENABLE_CONNECT_PROTOCOL) or a proxy is used; true fails with a
   * HandshakeError instead. Default false. See client-http2.ts.
   */
  http2?: boolean | 'auto';
  /**
   * Opens the stream of each attempt in place of dial's TCP connect (ws's `createConnection`):
   * a Unix socket, an in-process pipe, a tunnel of the caller's. Called with the attempt's
   * host, port and URL; it returns a stream, or a promise of one. For wss:// a stream that
   * is not TLS yet gets TLS over it (with `tls`, checked against the URL's host), so wss://
   * is never spoken in plaintext; a tls.TLSSocket is used as it is (its checks are the
   * factory's). Refused beside `proxy` or `http2` (WS_ERR_INVALID_ARGUMENT).
   *
   * The factory stands for the origin of the URL dialed: a redirect that leaves that origin
   * is refused (HandshakeError with the 3xx status). Following it would either hand the
   * factory, and whatever it binds (a client certificate, a tunnel's credentials), a host
   * it was not written for, or go around it over plain TCP, past the network path it is.
   */
  createConnection?: CreateConnection;
  /**
   * The socket of a ws:// dial without a proxy: `'native'` uses the runtime's own where it
   * has them (Bun.connect on Bun, Deno.connect on Deno), `'node'` node:net; `'auto'`
   * (default) picks Bun.connect on Bun and node:net on Deno and Node. wss:// and proxies
   * always go through node:net and node:tls.
   */
  transport?: Transport;
  /**
   * Called with each final response head the dial reads (the 101, or the status that fails
   * it, redirects included), before it is checked: status, reason, headers with repeats as
   * arrays, raw header lines. A throw fails the dial with it.
   */
  onResponse?: (response: ResponseHead) => void;
  /**
   * Called before a redirect is followed, with the next URL, the status and the headers the
   * next request will carry (after the origin rules above), which it may change (they are
   * checked again, as `headers` are). A throw fails the dial with it.
   */
  beforeRedirect?: (next: RedirectInfo) => void;
}

/** What beforeRedirect is told about a redirect about to be followed. */
export interface RedirectInfo {
  /** Where the next attempt goes (a copy: changing it changes nothing). */
  url: URL;
  /** The 3xx status that sent us there. */
  status: number;
  /** The next request's extra headers, to change in place. */
  headers: Record<string, string>;
}

/**
 * Opens a WebSocket connection: ws:// or wss://, through a proxy if asked, validating the
 * server's 101 to the letter of RFC 6455 §4.1. Rejects with a HandshakeError (with status,
 * headers and up to 4 KiB of body) on any other answer, a TimeoutError past
 * handshakeTimeoutMs, or the signal's reason when aborted.
 */
export async function dial(url: string | URL, options: DialOptions = {}): Promise<Conn> {
  const limit = redirectLimit(options.followRedirects);
  const headers = Object.assign(Object.create(null) as Record<string, string>, options.headers);
  checkUserHeaders(headers);
  let hop: Hop = { url: parseUrl(url), headers, tls: options.tls };
  normalizeTarget(hop.url);
  if (options.createConnection && (options.proxy || options.http2)) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `createConnection replaces the connection; it cannot go with the ${options.proxy ? 'proxy' : 'http2'} option`);
  }
  const totalMs = options.handshakeTimeoutMs ?? 30_000;
  const started = Date.now();
  if (options.http2) {
    const conn = await dialHttp2(hop.url, options);
    if (conn) return conn;
  }
  const sockets: SocketList = [];
  // One deadline for the whole dial: an 'auto' fallback to HTTP/1.1 gets what h2 left of it.
  const timeoutMs = Math.max(totalMs - (Date.now() - started), 1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  let interrupted = false;
  const interruption = new Promise<never>((_, reject) => {
    const stop = (reason: unknown) => { interrupted = true; reject(reason); };
    timer = setTimeout(() => stop(new TimeoutError(`handshake with ${hop.url.host} not done within ${timeoutMs} ms`)), timeoutMs);
    if (options.signal) {
      onAbort = () => stop(options.signal!.reason ?? new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'dial aborted'));
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  const follow = async (): Promise<Conn> => {
    for (let redirects = 0; !interrupted; redirects++) {
      const result = await dialOnce(hop, options, sockets, () => interrupted);
      if (result instanceof Conn) return result;
      const { error, location } = result;
      if (redirects >= limit) {
        throw limit === 0 ? error : new HandshakeError(`stopped after ${limit} redirects (${error.message})`, error.status, error.headers, error.body);
      }
      const next = nextHop(hop, location, error.status, error.headers, options.sensitiveHeaders);
      if (next instanceof HandshakeError) throw next;
      if (options.createConnection && originOf(next.url) !== originOf(hop.url)) {
        throw new HandshakeError(`refusing the redirect to ${originOf(next.url)}: createConnection stands for ${originOf(hop.url)}`, error.status, error.headers);
      }
      if (options.beforeRedirect) {
        options.beforeRedirect({ url: new URL(next.url.href), status: error.status, headers: next.headers });
        checkUserHeaders(next.headers);
      }
      for (const s of sockets.splice(0)) s.destroy(); // the previous hop's (a TLS socket may sit on a tunnel)
      hop = next;
    }
    throw new TimeoutError('dial interrupted'); // unseen: the race has already settled
  };
  try {
    return await Promise.race([interruption, follow()]);
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

/** A native socket with node:net's face, listed so that a failed dial destroys it too. */
async function openNative(native: NonNullable<ReturnType<typeof nativeTransport>>, host: string, port: number, sockets: SocketList): Promise<Socket> {
  const socket = await native.connect(host, port) as unknown as Socket;
  sockets.push(socket);
  return socket;
}

function parseUrl(url: string | URL): URL {
  try {
    return new URL(url);
  } catch (err) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `invalid URL ${JSON.stringify(String(url).slice(0, 200))}`, { cause: err });
  }
}

function normalizeTarget(target: URL): { secure: boolean; host: string; port: number; path: string; hostHeader: string } {
  const scheme = target.protocol;
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(scheme)) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `unsupported URL scheme ${scheme}`);
  if (target.hash) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'a WebSocket URL has no fragment');
  const secure = isSecure(target);
  const port = Number(target.port || (secure ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return { secure, host, port, path: `${target.pathname || '/'}${target.search}`, hostHeader: target.host };
}

/** A user's Host header (any case) replaces the one derived from the URL; the rest go as given. */
function splitHostHeader(headers: Record<string, string>): { host: string | undefined; rest: Record<string, string> } {
  const rest = Object.create(null) as Record<string, string>;
  let host: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'host') host = value;
    else rest[name] = value;
  }
  return { host, rest };
}

/** One attempt: a Conn, or a redirect to follow (with the error to throw if it is not). */
async function dialOnce(hop: Hop, options: DialOptions, sockets: SocketList, interrupted: () => boolean): Promise<Conn | { location: string; error: HandshakeError }> {
  const { secure, host, port, path, hostHeader } = normalizeTarget(hop.url);
  let socket: Socket;
  if (options.createConnection) {
    const servername = hop.tls?.servername ?? (isIP(host) ? undefined : host);
    socket = await openWith(options.createConnection, { url: new URL(hop.url.href), host, port, secure, servername }, hop.tls, sockets);
  } else {
    const proxy = proxyFor(hop.url, options.proxy);
    // The transport-pick seam: the runtime's own socket for plain ws://, node:net otherwise.
    const native = proxy || secure ? undefined : nativeTransport(options.transport);
    socket = proxy
      ? await openTunnel(proxy, host, port, options.proxyTls, options.maxHeadBytes, sockets)
      : native
        ? await openNative(native, host, port, sockets)
        : await openTcp(host, port, sockets);
    if (secure) socket = await openTls(socket, host, hop.tls, sockets);
  }
  const compression = options.compression === false ? undefined : typeof options.compression === 'object' ? options.compression : {};
  const user = splitHostHeader(hop.headers);
  const headers = user.rest;
  if (compression) headers['Sec-WebSocket-Extensions'] = formatExtension(clientOffer(compression));
  const request: ClientRequest = {
    path, host: user.host ?? hostHeader, key: newClientKey(), subprotocols: options.subprotocols ?? [], headers,
  };
  const head = await exchangeHead(socket, buildRequest(request), options.maxHeadBytes);
  const status = Number(head.startLine[1]);
  options.onResponse?.(responseHead(head));
  if (status !== 101) {
    const error = new HandshakeError(`expected status 101, got ${status} ${head.startLine[2]}`.trim(), status, flatten(head.headers), await readBody(socket, head));
    socket.destroy();
    if (!REDIRECT_STATUSES.includes(status) || head.headers.location === undefined) throw error;
    if (Array.isArray(head.headers.location)) throw new HandshakeError(`a ${status} with more than one Location`, status, error.headers, error.body);
    return { location: head.headers.location, error };
  }
  const accepted = checkResponse(head, request, compression ? [PERMESSAGE_DEFLATE] : []);
  if (accepted instanceof HandshakeError) throw accepted;
  const deflate = agreedDeflate(accepted.extensions, compression, status);
  if (interrupted()) { // the caller already has its answer
    socket.destroy();
    throw new TimeoutError('dial interrupted');
  }
  return new Conn({
    socket: socket as unknown as ConnSocket, role: 'client', options, head: head.rest,
    subprotocol: accepted.subprotocol, extensions: accepted.extensions, deflate,
  });
}
