// The client side of ws's WebSocket: ws's constructor arguments mapped onto wasmws's dial().
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { dial, type DialOptions, type RedirectInfo } from '../client';
import type { Conn } from '../conn/connection';
import { HandshakeError } from '../errors';
import type { ResponseHead } from '../handshake/client';
import { REDIRECT_STATUSES } from '../handshake/redirect';
import { isToken } from '../handshake/tokens';
import { connectionFactory, redirectRequest } from './client-transport';
import { toCompression, toConnOptions, toTlsOptions, unsupported, type ClientOptions } from './options';

/**
 * What 'upgrade' and 'unexpected-response' carry: the response as node's IncomingMessage
 * has it (set-cookie always an array, other repeated fields joined with ', ').
 */
export interface HandshakeResponse {
  statusCode: number;
  statusMessage: string;
  httpVersion: string;
  headers: Record<string, string | string[]>;
  rawHeaders: string[];
}

/** The constructor's arguments, checked (ws throws SyntaxError on a bad URL or subprotocol). */
export interface ClientArgs {
  url: URL;
  protocols: string[];
  options: ClientOptions;
}

/** What connectClient drives (the WebSocket). */
export interface ClientHost {
  attach(conn: Conn, response: HandshakeResponse | undefined): void;
  /** A redirect is being followed: `url` becomes the socket's url (as ws's). */
  redirected(url: string): void;
  failHandshake(error: Error | undefined): void;
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
}

/** ws's argument shuffle: `new WebSocket(url, options)` is allowed too. */
export function parseClientArgs(address: string | URL, protocols: unknown, options: ClientOptions | undefined): ClientArgs {
  let list: string[];
  if (protocols === undefined) list = [];
  else if (Array.isArray(protocols)) list = protocols.map(String);
  else if (typeof protocols === 'object' && protocols !== null) {
    options = protocols as ClientOptions;
    list = [];
  } else list = [String(protocols)];
  let url: URL;
  try {
    url = address instanceof URL ? new URL(address.href) : new URL(address);
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol === 'ws+unix:') throw unsupported('the ws+unix: scheme');
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError('The URL\'s protocol must be one of "ws:", "wss:", "http:", or "https:"');
  }
  if (url.hash) throw new SyntaxError('The URL contains a fragment identifier');
  if (new Set(list).size !== list.length || list.some((p) => !isToken(p))) {
    throw new SyntaxError('An invalid or duplicated subprotocol was specified');
  }
  const opts = options ?? {};
  if (opts.protocolVersion !== undefined && opts.protocolVersion !== 13) {
    throw new RangeError(`Unsupported protocol version: ${opts.protocolVersion} (supported versions: 13)`);
  }
  if (opts.finishRequest !== undefined && opts.finishRequest !== null) throw unsupported("the client option 'finishRequest'");
  return { url, protocols: list, options: opts };
}

/** The dial() options a ws client's options stand for. */
export function toDialOptions(args: ClientArgs, signal: AbortSignal): DialOptions {
  const { options } = args;
  const createConnection = connectionFactory(options); // checked here: an agent ws could not use throws
  const headers: Record<string, string> = { ...options.headers };
  if (options.origin !== undefined) headers.Origin = options.origin;
  const auth = basicAuth(args.url, options.auth);
  if (auth !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) headers.Authorization = auth;
  return {
    ...toConnOptions(options.maxPayload),
    autoPong: options.autoPong !== false,
    headers,
    subprotocols: args.protocols,
    handshakeTimeoutMs: options.handshakeTimeout,
    compression: toCompression(options.perMessageDeflate, true),
    followRedirects: options.followRedirects ? (options.maxRedirects ?? 10) : false,
    tls: toTlsOptions(options),
    proxy: false,
    signal,
    ...(createConnection && { createConnection }),
  };
}

/**
 * ws sends the URL's credentials (`ws://user:pass@host`, as written) or `options.auth` as
 * Basic Authorization, as node:http does; a redirect to another origin drops it (dial's rule).
 */
function basicAuth(url: URL, auth: string | undefined): string | undefined {
  const credentials = url.username || url.password ? `${url.username}:${url.password}` : auth; // ws: the URL's win
  return credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** A response head in IncomingMessage's shape. */
export function toResponse(head: ResponseHead): HandshakeResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(head.headers)) {
    headers[name] = name === 'set-cookie' ? [value].flat() : Array.isArray(value) ? value.join(', ') : value;
  }
  return { statusCode: head.status, statusMessage: head.statusText, httpVersion: head.httpVersion, headers, rawHeaders: head.rawHeaders };
}

/**
 * A response-like stream for 'unexpected-response' (ws passes node's IncomingMessage): the
 * head as received, and the body dial read (de-chunked, at most 4 KiB).
 */
function responseOf(error: HandshakeError, head: HandshakeResponse | undefined): Readable & HandshakeResponse {
  const body = error.body;
  const res = Readable.from(body && body.length > 0 ? [Buffer.from(body)] : []) as Readable & HandshakeResponse;
  Object.assign(res, head ?? { statusCode: error.status, statusMessage: '', httpVersion: '1.1', headers: { ...error.headers }, rawHeaders: [] });
  return res;
}

/**
 * Dials, then attaches the Conn (open) or fails (error, close 1006), as ws orders them:
 * 'upgrade' is emitted with the 101 as soon as it is read, before it is checked; 'redirect'
 * before a redirect is followed.
 */
export function connectClient(host: ClientHost, args: ClientArgs, signal: AbortSignal): void {
  let last: HandshakeResponse | undefined;
  const options = toDialOptions(args, signal);
  options.onResponse = (head) => {
    last = toResponse(head);
    if (head.status === 101) host.emit('upgrade', last); // a throw fails the handshake with it
  };
  options.beforeRedirect = (next: RedirectInfo) => {
    host.redirected(next.url.href);
    if (host.listenerCount('redirect') === 0) return;
    const req = redirectRequest(next.headers);
    host.emit('redirect', next.url.href, req);
    if (req.destroyed) throw req.destroyed;
  };
  dial(args.url, options).then((conn) => {
    host.attach(conn, undefined);
  }, (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    if (signal.aborted) {
      host.failHandshake(signal.reason instanceof Error ? signal.reason : error);
      return;
    }
    if (error instanceof HandshakeError && args.options.followRedirects && REDIRECT_STATUSES.includes(error.status)) {
      host.failHandshake(error); // a redirect dial refused to follow (or one too many): its own words
      return;
    }
    if (error instanceof HandshakeError && error.status > 0 && error.status !== 101 && host.listenerCount('unexpected-response') > 0) {
      const request = { abort() {}, destroy() {} };
      host.emit('unexpected-response', request, responseOf(error, last?.statusCode === error.status ? last : undefined));
      host.failHandshake(undefined);
      return;
    }
    if (error instanceof HandshakeError && error.status > 0 && error.status !== 101) {
      host.failHandshake(Object.assign(new Error(`Unexpected server response: ${error.status}`), { cause: error }));
      return;
    }
    host.failHandshake(error);
  });
}
