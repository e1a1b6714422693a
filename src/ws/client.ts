// The client side of ws's WebSocket: ws's constructor arguments mapped onto wasmws's dial().
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { dial, type DialOptions } from '../client';
import type { Conn } from '../conn/connection';
import { HandshakeError } from '../errors';
import { isToken } from '../handshake/tokens';
import { toCompression, toConnOptions, toTlsOptions, unsupported, type ClientOptions } from './options';

/** What the 'upgrade' event carries: the 101 as far as wasmws's dial reports it. */
export interface HandshakeResponse {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
}

/** The constructor's arguments, checked (ws throws SyntaxError on a bad URL or subprotocol). */
export interface ClientArgs {
  url: URL;
  protocols: string[];
  options: ClientOptions;
}

/** What connectClient drives (the WebSocket). */
export interface ClientHost {
  attach(conn: Conn, response: HandshakeResponse): void;
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
  for (const name of ['agent', 'createConnection', 'finishRequest'] as const) {
    if (opts[name] !== undefined && opts[name] !== null) throw unsupported(`the client option '${name}'`);
  }
  return { url, protocols: list, options: opts };
}

/** The dial() options a ws client's options stand for. */
export function toDialOptions(args: ClientArgs, signal: AbortSignal): DialOptions {
  const { options } = args;
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

/** A response-like stream for 'unexpected-response' (ws passes node's IncomingMessage). */
function responseOf(error: HandshakeError): Readable & HandshakeResponse {
  const body = error.body;
  const res = Readable.from(body && body.length > 0 ? [Buffer.from(body)] : []) as Readable & HandshakeResponse;
  res.statusCode = error.status;
  res.statusMessage = '';
  res.headers = { ...error.headers };
  return res;
}

/** Dials, then attaches the Conn (upgrade, open) or fails (error, close 1006), as ws orders them. */
export function connectClient(host: ClientHost, args: ClientArgs, signal: AbortSignal): void {
  dial(args.url, toDialOptions(args, signal)).then((conn) => {
    host.attach(conn, {
      statusCode: 101,
      statusMessage: 'Switching Protocols',
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        ...(conn.subprotocol ? { 'sec-websocket-protocol': conn.subprotocol } : {}),
        ...(conn.extensions ? { 'sec-websocket-extensions': conn.extensions } : {}),
      },
    });
  }, (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    if (signal.aborted) {
      host.failHandshake(signal.reason instanceof Error ? signal.reason : error);
      return;
    }
    if (error instanceof HandshakeError && error.status > 0 && host.listenerCount('unexpected-response') > 0) {
      const request = { abort() {}, destroy() {} };
      host.emit('unexpected-response', request, responseOf(error));
      host.failHandshake(undefined);
      return;
    }
    if (error instanceof HandshakeError && error.status > 0) {
      host.failHandshake(Object.assign(new Error(`Unexpected server response: ${error.status}`), { cause: error }));
      return;
    }
    host.failHandshake(error);
  });
}
