import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { dialHttp2 } from './client-http2';
import { Conn, type ConnSocket } from './conn/connection';
import { HandshakeError, TimeoutError, WebSocketError } from './errors';
import { newClientKey } from './handshake/accept-key';
import { buildRequest, checkResponse, flatten, type ClientRequest } from './handshake/client';
import { HttpHeadParser, type HttpHead } from './handshake/http-head';
import { connectRequest, proxyFor } from './handshake/proxy';
import type { ConnOptions } from './options';
import { acceptResponse, clientOffer, PERMESSAGE_DEFLATE, type CompressionOptions } from './extensions/deflate-negotiation';
import { formatExtension, parseExtensions } from './extensions/extension-header';
import { PerMessageDeflate } from './extensions/permessage-deflate';

/** Options of dial() (gorilla's Dialer). */
export interface DialOptions extends ConnOptions {
  /** Extra request headers (e.g. Authorization, Cookie, Origin). */
  headers?: Record<string, string>;
  /** Subprotocols to offer, in preference order. */
  subprotocols?: readonly string[];
  /** Time allowed for connect + TLS + proxy + handshake. Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Aborts the dial (not the connection once open). */
  signal?: AbortSignal;
  /** Passed to node:tls for wss:// (ca, cert, key, rejectUnauthorized, servername, ...). */
  tls?: ConnectionOptions;
  /** An HTTP proxy URL (http://user:pass@host:port), 'env' for HTTPS_PROXY/HTTP_PROXY/NO_PROXY, or false. */
  proxy?: string | false;
  /** Follow 3xx redirects (true = up to 10, or a number). Default false. */
  followRedirects?: boolean | number;
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
}

/** Response body bytes kept on a HandshakeError. */
const MAX_ERROR_BODY_BYTES = 4096;
const MAX_REDIRECTS = 10;

/**
 * Opens a WebSocket connection: ws:// or wss://, through a proxy if asked, validating the
 * server's 101 to the letter of RFC 6455 §4.1. Rejects with a HandshakeError (with status,
 * headers and up to 4 KiB of body) on any other answer, a TimeoutError past
 * handshakeTimeoutMs, or the signal's reason when aborted.
 */
export async function dial(url: string | URL, options: DialOptions = {}): Promise<Conn> {
  let target = new URL(url);
  if (options.http2) {
    const conn = await dialHttp2(target, options);
    if (conn) return conn;
  }
  const redirects = options.followRedirects === true ? MAX_REDIRECTS : Math.min(Number(options.followRedirects || 0), MAX_REDIRECTS);
  for (let hop = 0; ; hop++) {
    const result = await dialOnce(target, options);
    if (result instanceof Conn) return result;
    if (hop >= redirects) throw result.error;
    target = new URL(result.location, target);
  }
}

function normalizeTarget(target: URL): { secure: boolean; host: string; port: number; path: string; hostHeader: string } {
  const scheme = target.protocol;
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(scheme)) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `unsupported URL scheme ${scheme}`);
  if (target.hash) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'a WebSocket URL has no fragment');
  const secure = scheme === 'wss:' || scheme === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return { secure, host, port, path: `${target.pathname || '/'}${target.search}`, hostHeader: target.host };
}

async function dialOnce(target: URL, options: DialOptions): Promise<Conn | { location: string; error: HandshakeError }> {
  const { secure, host, port, path, hostHeader } = normalizeTarget(target);
  const timeoutMs = options.handshakeTimeoutMs ?? 30_000;
  const sockets: Socket[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`handshake with ${target.host} not done within ${timeoutMs} ms`)), timeoutMs);
    if (options.signal) {
      onAbort = () => reject(options.signal!.reason ?? new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'dial aborted'));
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([interrupted, (async () => {
      const proxy = proxyFor(target, options.proxy);
      let socket: Socket = await openTcp(proxy ? proxy.hostname : host, proxy ? Number(proxy.port || 80) : port, sockets);
      if (proxy) {
        const answer = await exchangeHead(socket, connectRequest(proxy, host, port), options.maxHeadBytes);
        if (answer.startLine[1] !== '200') {
          throw new HandshakeError(`proxy refused CONNECT: ${answer.startLine[1]} ${answer.startLine[2]}`.trim(), Number(answer.startLine[1]), flatten(answer.headers));
        }
      }
      if (secure) socket = await openTls(socket, host, options.tls, sockets);
      const compression = options.compression === false ? undefined : typeof options.compression === 'object' ? options.compression : {};
      const headers = { ...options.headers };
      if (compression) headers['Sec-WebSocket-Extensions'] = formatExtension(clientOffer(compression));
      const request: ClientRequest = {
        path, host: hostHeader, key: newClientKey(), subprotocols: options.subprotocols ?? [], headers,
      };
      const head = await exchangeHead(socket, buildRequest(request), options.maxHeadBytes);
      const status = Number(head.startLine[1]);
      if (status !== 101) {
        const error = new HandshakeError(`expected status 101, got ${status} ${head.startLine[2]}`.trim(), status, flatten(head.headers), await readBody(socket, head));
        socket.destroy();
        const location = flatten(head.headers).location;
        if (status >= 300 && status < 400 && location) return { location, error };
        throw error;
      }
      const accepted = checkResponse(head, request, compression ? [PERMESSAGE_DEFLATE] : []);
      if (accepted instanceof HandshakeError) throw accepted;
      const deflate = compression && agreedDeflate(accepted.extensions, compression, Number(head.startLine[1]));
      return new Conn({
        socket: socket as unknown as ConnSocket, role: 'client', options, head: head.rest,
        subprotocol: accepted.subprotocol, extensions: accepted.extensions, deflate: deflate || undefined,
      });
    })()]);
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The permessage-deflate the server agreed to, if any; a response we did not allow fails the dial (1010 semantics). */
function agreedDeflate(extensions: string, compression: CompressionOptions, status: number): PerMessageDeflate | undefined {
  if (!extensions) return undefined;
  const parsed = parseExtensions(extensions);
  const deflates = parsed?.filter((e) => e.name === PERMESSAGE_DEFLATE) ?? [];
  if (parsed === undefined || deflates.length !== 1) throw new HandshakeError(`unacceptable Sec-WebSocket-Extensions: ${extensions}`, status);
  const params = acceptResponse(deflates[0], compression);
  if (typeof params === 'string') throw new HandshakeError(`permessage-deflate: ${params}`, status);
  return new PerMessageDeflate(params, 'client', compression);
}

function openTcp(host: string, port: number, sockets: Socket[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    sockets.push(socket);
    socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

function openTls(socket: Socket, servername: string, tls: ConnectionOptions | undefined, sockets: Socket[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ servername, ALPNProtocols: ['http/1.1'], ...tls, socket });
    sockets.push(secure);
    secure.once('secureConnect', () => { secure.off('error', reject); resolve(secure); });
    secure.once('error', reject);
  });
}

/** Writes a request head and reads the response head; the socket is left paused after it. */
function exchangeHead(socket: Socket, request: string, maxHeadBytes = 16 * 1024): Promise<HttpHead> {
  return new Promise((resolve, reject) => {
    const parser = new HttpHeadParser(maxHeadBytes, 'response');
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Uint8Array) => {
      try {
        const head = parser.push(chunk);
        if (head === undefined) return;
        socket.pause();
        cleanup();
        resolve(head);
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onError = (err: Error) => { cleanup(); reject(err); };
    const onClose = () => { cleanup(); reject(new HandshakeError('connection closed before the handshake response')); };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.resume(); // a previous exchange (the proxy's CONNECT) left it paused
    socket.write(request);
  });
}

/** Up to 4 KiB of an error response's body, waiting at most 500 ms for it. */
function readBody(socket: Socket, head: HttpHead): Promise<Uint8Array> {
  const declared = Number(flatten(head.headers)['content-length'] ?? MAX_ERROR_BODY_BYTES);
  const wanted = Math.min(Number.isFinite(declared) ? declared : MAX_ERROR_BODY_BYTES, MAX_ERROR_BODY_BYTES);
  const parts: Uint8Array[] = [head.rest.subarray(0, wanted)];
  let have = parts[0].length;
  if (have >= wanted) return Promise.resolve(parts[0].slice());
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      const body = new Uint8Array(Math.min(have, wanted));
      let at = 0;
      for (const p of parts) { body.set(p.subarray(0, body.length - at), at); at += Math.min(p.length, body.length - at); }
      resolve(body);
    };
    const onData = (chunk: Uint8Array) => {
      parts.push(chunk);
      have += chunk.length;
      if (have >= wanted) finish();
    };
    const timer = setTimeout(finish, 500);
    socket.on('data', onData);
    socket.once('end', finish);
    socket.resume();
  });
}
