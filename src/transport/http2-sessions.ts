import { connect as h2Connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** How long a session with no stream left stays open for the next WebSocket. */
export const SESSION_IDLE_MS = 2000;

/** One HTTP/2 session to an origin, shared by the WebSockets that go over it. */
export interface PooledSession {
  readonly session: ClientHttp2Session;
  /** The server's SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3). */
  readonly connectProtocol: boolean;
  /** Streams open on it; at 0 the idle timer runs. */
  streams: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

/** What opening a session found: a session, or an origin whose ALPN chose HTTP/1.1. */
export type SessionResult = PooledSession | { alpn: string };

const pool = new Map<string, Promise<SessionResult>>();

/** How long an origin whose ALPN chose HTTP/1.1 is remembered as such. */
export const NO_H2_MEMORY_MS = 30_000;

/** Origins (pool keys) that chose HTTP/1.1, until when: 'auto' then skips the probe. */
const withoutH2 = new Map<string, { alpn: string; until: number }>();

/**
 * The pool key: origin plus the TLS options, so two dials with different trust or client
 * certificates never share a session. Options holding functions or objects that JSON cannot
 * tell apart (checkServerIdentity, a socket, a secure context) get a session of their own.
 */
function poolKey(host: string, port: number, tls: ConnectionOptions | undefined): string | undefined {
  let shareable = true;
  const text = JSON.stringify(tls ?? {}, (_key, value: unknown) => {
    if (typeof value === 'function') shareable = false;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) shareable = false; // Buffers are plain after toJSON
    }
    return value;
  });
  return shareable ? `${host}:${port}|${text}` : undefined;
}

/**
 * A session to host:port: the pooled one when it is still usable, else a new one (TLS with
 * ALPN h2 and http/1.1, then HTTP/2 once the server's first SETTINGS are in). Concurrent
 * dials to one origin share the opening. The caller must `acquire` what it uses.
 */
export function openSession(host: string, port: number, tls: ConnectionOptions | undefined, timeoutMs: number): Promise<SessionResult> {
  const key = poolKey(host, port, tls);
  const known = key === undefined ? undefined : withoutH2.get(key);
  if (known && known.until > Date.now()) return Promise.resolve({ alpn: known.alpn });
  if (known) withoutH2.delete(key!);
  const pooled = key === undefined ? undefined : pool.get(key);
  if (pooled) {
    return pooled.then((found) => ('alpn' in found || usable(found) ? found : reopen()));
  }
  return reopen();

  function reopen(): Promise<SessionResult> {
    const opening = createSession(host, port, tls, timeoutMs, () => { if (key !== undefined && pool.get(key) === opening) pool.delete(key); });
    if (key !== undefined) {
      pool.set(key, opening);
      // An origin without h2 is remembered for a while (no probe per dial); a failure is not.
      opening.then((found) => {
        if (!('alpn' in found)) return;
        if (pool.get(key) === opening) pool.delete(key);
        withoutH2.set(key, { alpn: found.alpn, until: Date.now() + NO_H2_MEMORY_MS });
      }, () => { if (pool.get(key) === opening) pool.delete(key); });
    }
    return opening;
  }
}

function usable(entry: PooledSession): boolean {
  return !entry.session.closed && !entry.session.destroyed;
}

function createSession(host: string, port: number, tls: ConnectionOptions | undefined, timeoutMs: number, forget: () => void): Promise<SessionResult> {
  return new Promise((resolve, reject) => {
    const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
    const socket: TLSSocket = tlsConnect({ host, port, servername, ...tls, ALPNProtocols: ['h2', 'http/1.1'] });
    const timer = setTimeout(() => fail(new Error(`TLS + HTTP/2 SETTINGS with ${host}:${port} not done within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => { clearTimeout(timer); socket.destroy(); reject(err); };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      if (socket.alpnProtocol !== 'h2') {
        clearTimeout(timer);
        socket.destroy();
        resolve({ alpn: socket.alpnProtocol || 'none' });
        return;
      }
      socket.setNoDelay(true); // as dial() over HTTP/1.1: a frame goes out when written
      const authority = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
      const session = h2Connect(authority, { createConnection: () => socket });
      const onEarlyError = (err: Error) => { session.destroy(); fail(err); };
      session.once('error', onEarlyError);
      const onEarlyClose = () => fail(new Error('the HTTP/2 session closed before its SETTINGS'));
      session.once('close', onEarlyClose);
      session.once('remoteSettings', (settings) => {
        clearTimeout(timer);
        session.off('error', onEarlyError);
        session.off('close', onEarlyClose);
        // Stream errors reach their streams; the session's own only end it (and the pool entry).
        session.on('error', () => {});
        session.once('close', forget);
        session.once('goaway', forget);
        const entry: PooledSession = { session, connectProtocol: settings.enableConnectProtocol === true, streams: 0, idleTimer: undefined };
        idle(entry);
        resolve(entry);
      });
    });
  });
}

/** A stream starts on the session: it keeps the process (and the session) alive. */
export function acquire(entry: PooledSession): void {
  clearTimeout(entry.idleTimer);
  entry.idleTimer = undefined;
  if (entry.streams++ === 0) entry.session.ref();
}

/** A stream on the session ended; the last one starts the idle timer. */
export function release(entry: PooledSession): void {
  if (--entry.streams === 0) idle(entry);
}

function idle(entry: PooledSession): void {
  entry.session.unref();
  entry.idleTimer = setTimeout(() => { if (entry.streams === 0) entry.session.close(); }, SESSION_IDLE_MS);
  entry.idleTimer.unref();
}

/** @internal Sessions in the pool (tests). */
export function pooledSessionCount(): number {
  return pool.size;
}
