import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { DialOptions } from './client';
import { Conn } from './conn/connection';
import { HandshakeError, TimeoutError, WebSocketError } from './errors';
import { clientOffer } from './extensions/deflate-negotiation';
import { formatExtension } from './extensions/extension-header';
import { agreedDeflate } from './handshake/client';
import { readUpTo } from './handshake/exchange';
import { proxyFor } from './handshake/proxy';
import { headerValue, isToken } from './handshake/tokens';
import { Http2StreamSocket } from './transport/http2-stream';
import { acquire, openSession, release, type PooledSession } from './transport/http2-sessions';

/** Request headers HTTP/2 forbids or that the extended CONNECT sets itself (RFC 9113 §8.2.2). */
const NOT_SENT = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'host',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol']);

/**
 * dial() over HTTP/2 (RFC 8441): the WebSocket as an extended CONNECT stream on the
 * origin's pooled session. Resolves with the Conn, or with undefined when `http2: 'auto'`
 * should fall back to HTTP/1.1 (ws://, a proxy, ALPN http/1.1, or SETTINGS without
 * ENABLE_CONNECT_PROTOCOL); with `http2: true` those reject with a HandshakeError.
 * Called by dial() only, after its normalizeTarget (scheme, no fragment) and checkUserHeaders
 * (token names, so no pseudo-header; values free of control bytes) have passed on `target` and options.headers.
 */
export async function dialHttp2(target: URL, options: DialOptions): Promise<Conn | undefined> {
  const strict = options.http2 === true;
  const refuse = (why: string): undefined => {
    if (strict) throw new HandshakeError(`HTTP/2 WebSocket not possible: ${why}`);
    return undefined;
  };
  if (target.protocol !== 'wss:' && target.protocol !== 'https:') return refuse(`${target.protocol}// is not TLS (h2 needs wss://)`);
  if (proxyFor(target, options.proxy)) return refuse('dialing through a proxy speaks HTTP/1.1');
  for (const p of options.subprotocols ?? []) {
    if (!isToken(p)) throw new HandshakeError(`subprotocol ${JSON.stringify(p)} is not a token`);
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 443);
  const timeoutMs = options.handshakeTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const found = await interruptible(openSession(host, port, options.tls, timeoutMs), options.signal, timeoutMs, target);
  if ('alpn' in found) return refuse(`the server chose ALPN ${found.alpn}, not h2`);
  if (!found.connectProtocol) return refuse('the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)');
  return openWebSocket(found, target, options, Math.max(deadline - Date.now(), 1));
}

/** The extended CONNECT (RFC 8441 §4-5) and its :status 200 response. */
async function openWebSocket(entry: PooledSession, target: URL, options: DialOptions, timeoutMs: number): Promise<Conn> {
  const compression = options.compression === false ? undefined : typeof options.compression === 'object' ? options.compression : {};
  const headers: Record<string, string> = {
    ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https',
    ':path': `${target.pathname || '/'}${target.search}`, ':authority': target.host,
    'sec-websocket-version': '13',
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    // :authority is HTTP/2's Host (RFC 9113 §8.3.1): a user's Host names it, as it names Host over HTTP/1.1.
    if (lower === 'host') headers[':authority'] = value;
    else if (!NOT_SENT.has(lower)) headers[lower] = value;
  }
  const offered = options.subprotocols ?? [];
  if (offered.length > 0) headers['sec-websocket-protocol'] = offered.join(', ');
  if (compression) headers['sec-websocket-extensions'] = formatExtension(clientOffer(compression));

  acquire(entry);
  let stream: ClientHttp2Stream;
  try {
    stream = entry.session.request(headers, { endStream: false });
  } catch (err) {
    release(entry);
    throw new HandshakeError(`could not open an HTTP/2 stream: ${(err as Error).message}`, 0, {}, undefined, { cause: err });
  }
  stream.once('close', () => release(entry));
  try {
    const response = await interruptible(responseOf(stream), options.signal, timeoutMs, target);
    const status = Number(response[':status']);
    const flat = flatten(response);
    if (status !== 200) throw new HandshakeError(`expected :status 200, got ${status}`, status, flat, await readUpTo(stream, new Uint8Array(0)));
    const subprotocol = flat['sec-websocket-protocol'] ?? '';
    if (subprotocol && !offered.includes(subprotocol)) throw new HandshakeError(`the server chose subprotocol ${subprotocol}, which was not offered`, status, flat);
    const extensions = flat['sec-websocket-extensions'] ?? '';
    const deflate = agreedDeflate(extensions, compression, status);
    return new Conn({ socket: new Http2StreamSocket(stream), role: 'client', options, subprotocol, extensions, deflate });
  } catch (err) {
    // RST_STREAM CANCEL: this stream only; the session serves the others.
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    throw err;
  }
}

function responseOf(stream: ClientHttp2Stream): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    stream.on('error', () => {}); // the 'close' below reports it; the Conn adds its own
    stream.once('response', resolve);
    stream.once('close', () => reject(new HandshakeError(`the stream closed before a response (RST_STREAM code ${stream.rstCode})`)));
  });
}

/** `promise`, unless the deadline passes or the signal aborts first. */
function interruptible<T>(promise: Promise<T>, signal: AbortSignal | undefined, timeoutMs: number, target: URL): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`handshake with ${target.host} not done within ${timeoutMs} ms`)), timeoutMs);
    if (signal) {
      onAbort = () => reject(signal.reason ?? new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'dial aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([promise, interrupted]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && value !== undefined) out[name] = headerValue(value) ?? '';
  }
  return out;
}
