import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Conn, ConnSocket } from './conn/connection';
import { HandshakeError } from './errors';
import { encodeClosePayload } from './frame/close';
import { repeatedSingleField } from './handshake/server';
import { rejectStream } from './server-http2-upgrade';
import type { ServeOptions, Upgrader, WebSocketServer } from './server';
import { CloseCode } from './protocol/close-code';
import { listen } from './listen';

/** serve()'s `tls`: a key and certificate (PEM), and any other node:tls server option. */
export interface SecureServeOptions extends TlsOptions {
  key: SecureContextOptions['key'];
  cert: SecureContextOptions['cert'];
}

/** @internal What serve() shares with its TLS variant. */
export interface ServeHooks {
  connections: ReadonlySet<Conn>;
  accept(conn: Conn): void;
  forget(conn: Conn): void;
  closeConnections(connections: ReadonlySet<Conn>, code: number, reason: string, timeoutMs: number): Promise<void>;
}

function ignoreError(): void {}

function pathOf(url: string): string {
  return url.split('?')[0];
}

/**
 * @internal serve() with `tls`: node:https, or with `http2` node:http2's secure server with
 * allowHTTP1 (one port, ALPN h2 + http/1.1, SETTINGS_ENABLE_CONNECT_PROTOCOL advertised).
 * WebSockets come as HTTP/1.1 'upgrade' events and HTTP/2 extended CONNECT streams; any
 * other request gets 426 (or 404 off `path`).
 *
 * The 'request' listener (HTTP/1.1 requests that are not upgrades) makes node:http2 add its
 * compatibility layer, which answers every CONNECT stream with 405 unless a 'connect'
 * listener exists (nodejs/node#36977), and keeps a request and response object per stream.
 * Its 'stream' listener is taken off again: this server answers every HTTP/2 stream itself.
 */
export function serveSecure(options: ServeOptions, upgrader: Upgrader, hooks: ServeHooks): Promise<WebSocketServer> {
  const tls = options.tls!;
  const maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();

  const server = options.http2
    ? createSecureServer({ ...tls, allowHTTP1: true, maxSendHeaderBlockLength: maxHeadBytes, settings: { enableConnectProtocol: true, maxHeaderListSize: maxHeadBytes } })
    : createHttpsServer({ ...tls, maxHeaderSize: maxHeadBytes });
  // The HTTP/1.1 side's slowloris guard (node:http2 with allowHTTP1 reads it too).
  (server as { headersTimeout?: number }).headersTimeout = options.handshakeTimeoutMs ?? 10_000;

  server.on('secureConnection', (socket: Socket) => {
    socket.setNoDelay(true); // as serve() over TCP: a WebSocket frame goes out when written
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignoreError);
    const request = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers };
    const repeated = repeatedSingleField(req.rawHeaders ?? []); // as upgrade(): node:http keeps only the first Host
    if (repeated) {
      upgrader.reject(socket, repeated, request);
      return;
    }
    if (options.path !== undefined && pathOf(request.url) !== options.path) {
      upgrader.reject(socket, new HandshakeError(`no WebSocket endpoint at ${pathOf(request.url)}`, 404), request);
      return;
    }
    const conn = upgrader.complete(request, req.httpVersion, socket as unknown as ConnSocket & Socket, new Uint8Array(head), hooks.forget);
    if (conn) hooks.accept(conn);
  });
  server.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const notHere = options.path !== undefined && pathOf(req.url ?? '/') !== options.path;
    const status = notHere ? 404 : 426;
    (res as ServerResponse).writeHead(status, status === 426 ? { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'upgrade' } : { 'content-type': 'text/plain' });
    res.end(status === 426 ? 'a WebSocket endpoint: send an upgrade\n' : 'not found\n');
  });

  if (options.http2) {
    const h2 = server as ReturnType<typeof createSecureServer>;
    h2.removeAllListeners('stream'); // the compatibility layer's (see above)
    h2.on('connect', ignoreError); // should it be back: no 405 for CONNECT
    h2.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
      session.on('error', ignoreError);
    });
    h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      stream.on('error', ignoreError);
      const path = pathOf(headers[':path'] ?? '/');
      if (options.path !== undefined && path !== options.path) {
        rejectStream(stream, new HandshakeError(`no WebSocket endpoint at ${path}`, 404));
        return;
      }
      if (headers[':method'] !== 'CONNECT') {
        rejectStream(stream, new HandshakeError('a WebSocket endpoint: send an extended CONNECT (RFC 8441)', 426));
        return;
      }
      const conn = upgrader.upgradeHttp2(stream, headers, hooks.forget);
      if (conn) hooks.accept(conn);
    });
  }

  const handle: WebSocketServer = {
    address: () => server.address() as AddressInfo,
    connections: hooks.connections,
    async close({ code = CloseCode.GoingAway, reason = 'server shutting down', timeoutMs = 5000 } = {}) {
      encodeClosePayload(code, reason); // a code or reason that may not be sent rejects before anything stops
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await hooks.closeConnections(hooks.connections, code, reason, timeoutMs);
      for (const session of sessions) session.close(); // GOAWAY once the last streams are done
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stopped, new Promise<void>((resolve) => { timer = setTimeout(resolve, Math.min(timeoutMs, 1000)); })]);
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };

  return listen(server, options, handle);
}
