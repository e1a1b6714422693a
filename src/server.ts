import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Conn, type ConnSocket, type UpgradeRequest } from './conn/connection';
import { HandshakeError } from './errors';
import { acceptResponse, checkUpgradeRequest, rejectResponse, repeatedSingleField, type HandshakePolicy } from './handshake/server';
import { HttpHeadParser } from './handshake/http-head';
import { ServerRequest } from './handshake/request';
import { resolveConnOptions, type ConnOptions, type ResolvedConnOptions } from './options';
import { acceptOffer, type CompressionOptions } from './extensions/deflate-negotiation';
import { formatExtension, parseExtensions } from './extensions/extension-header';
import { PerMessageDeflate } from './extensions/permessage-deflate';
import { headerValue } from './handshake/tokens';
import { CloseCode } from './protocol/close-code';

/** Everything an Upgrader decides: handshake policy plus the options of the connections it makes. */
export interface UpgraderOptions extends HandshakePolicy, ConnOptions {
  /**
   * permessage-deflate (RFC 7692): on by default with 12-bit windows and memLevel 5
   * (about 50 KiB of zlib state per connection once both directions are used); false
   * declines every offer.
   */
  compression?: boolean | CompressionOptions;
  /** Called with every rejected handshake (the response is already sent). */
  onHandshakeError?: (error: HandshakeError, request: UpgradeRequest | undefined) => void;
}

/**
 * Upgrades HTTP requests to WebSocket connections (gorilla's Upgrader). Use it from a
 * node:http or node:https server's 'upgrade' event, so it plugs into Express, Fastify, Koa:
 *
 *     server.on('upgrade', (req, socket, head) => {
 *       const conn = upgrader.upgrade(req, socket, head);
 *       if (conn) handle(conn);
 *     });
 */
export class Upgrader {
  /** Resolved once and shared by every connection this upgrader makes. */
  private readonly connOptions: ResolvedConnOptions;

  constructor(readonly options: UpgraderOptions = {}) {
    this.connOptions = resolveConnOptions(options, 'server');
  }

  /**
   * Answers the handshake on `socket`. Returns the connection, or null when the request was
   * rejected (the error response was written, the socket closed, and onHandshakeError told).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Uint8Array = new Uint8Array(0)): Conn | null {
    const request: UpgradeRequest = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers };
    const repeated = repeatedSingleField(req.rawHeaders ?? []); // node:http keeps only the first Host
    if (repeated) {
      this.reject(socket, repeated, request);
      return null;
    }
    return this.complete(request, req.httpVersion, socket as unknown as ConnSocket & Duplex, head);
  }

  /** @internal The shared second half: validation, response, Conn. */
  complete(request: UpgradeRequest, httpVersion: string, socket: ConnSocket & Duplex, head: Uint8Array, onClosed?: (conn: Conn) => void): Conn | null {
    const accepted = checkUpgradeRequest(request, httpVersion, this.options);
    if (accepted instanceof HandshakeError) {
      this.reject(socket, accepted, request);
      return null;
    }
    const extra = typeof this.options.headers === 'function' ? this.options.headers(request) : this.options.headers ?? {};
    const agreed = this.negotiateCompression(request);
    const extensions = agreed ? formatExtension(agreed.response) : '';
    socket.write(acceptResponse(accepted, extensions, extra));
    const deflate = agreed && new PerMessageDeflate(agreed.params, 'server', this.compressionOptions());
    return new Conn({ socket, role: 'server', options: this.connOptions, head, subprotocol: accepted.subprotocol, extensions, request, deflate, onClosed });
  }

  private compressionOptions(): CompressionOptions {
    return typeof this.options.compression === 'object' ? this.options.compression : {};
  }

  /** The first acceptable permessage-deflate offer; a malformed header declines them all. */
  private negotiateCompression(request: UpgradeRequest) {
    if (this.options.compression === false) return undefined;
    const header = headerValue(request.headers['sec-websocket-extensions']);
    const offers = header === undefined ? undefined : parseExtensions(header);
    return offers === undefined ? undefined : acceptOffer(offers, this.compressionOptions());
  }

  /** @internal Sends the error response, closes the socket, and reports the error. */
  reject(socket: Duplex, error: HandshakeError, request: UpgradeRequest | undefined): void {
    if (socket.writable) socket.end(rejectResponse(error));
    setTimeout(() => socket.destroy(), 1000).unref();
    this.options.onHandshakeError?.(error, request);
  }
}

/** Options of serve(): where to listen, plus everything an Upgrader takes. */
export interface ServeOptions extends UpgraderOptions {
  /** TCP port; 0 picks a free one (read it from address()). Default 0. */
  port?: number;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Only this request path is upgraded (others get 404). Default: any path. */
  path?: string;
  /** Time allowed for the whole request head to arrive (slowloris). Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Largest request head accepted (431 above it). Default 16 KiB. */
  maxHeadBytes?: number;
}

/** Options of WebSocketServer.close(). */
export interface ServerCloseOptions {
  /** Close code sent to every connection. Default 1001 (going away). */
  code?: number;
  reason?: string;
  /** How long to wait for close handshakes before destroying what is left. Default 5 s. */
  timeoutMs?: number;
}

/** A running standalone server (see serve()). */
export interface WebSocketServer {
  /** The address it listens on. */
  address(): AddressInfo;
  /** The open connections. */
  readonly connections: ReadonlySet<Conn>;
  /** Graceful shutdown: stop accepting, close every connection, wait, then destroy the rest. */
  close(options?: ServerCloseOptions): Promise<void>;
}

function ignoreError(): void {}

/** Runs the application's handler; if it throws or rejects, the connection closes with 1011. */
function runHandler(handler: (conn: Conn) => void | Promise<void>, conn: Conn): void {
  let result: void | Promise<void>;
  try {
    result = handler(conn);
  } catch {
    closeAfterHandlerFailure(conn);
    return;
  }
  const running = result as Promise<void> | undefined;
  if (typeof running?.then === 'function') running.then(undefined, () => closeAfterHandlerFailure(conn));
}

function closeAfterHandlerFailure(conn: Conn): void {
  if (conn.readyState === 'open') void conn.close(CloseCode.InternalError, 'handler failed').catch(() => {});
}

/**
 * A standalone WebSocket server on node:net, with its own HTTP/1.1 request-head parser:
 * bounded head size, a handshake deadline, and every connection passed to `handler`.
 * Resolves once listening.
 */
export function serve(options: ServeOptions, handler: (conn: Conn) => void | Promise<void>): Promise<WebSocketServer> {
  const upgrader = new Upgrader(options);
  const connections = new Set<Conn>();
  const pending = new Set<Socket>();
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;

  const forget = (conn: Conn) => connections.delete(conn);

  const server: Server = createServer((socket) => {
    // Everything below lives only until the handshake ends: once it does, no listener left
    // on the socket refers to this scope, so an open connection keeps none of it.
    pending.add(socket);
    const parser = new HttpHeadParser(maxHeadBytes, 'request');
    const timer = setTimeout(() => fail(new HandshakeError(`request head not received within ${handshakeTimeoutMs} ms`, 408)), handshakeTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      pending.delete(socket);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const fail = (error: HandshakeError) => {
      done();
      upgrader.reject(socket, error, undefined);
    };
    const onData = (chunk: Uint8Array) => {
      let head;
      try {
        head = parser.push(chunk);
      } catch (err) {
        fail(err instanceof HandshakeError ? err : new HandshakeError(String(err), 400));
        return;
      }
      if (head === undefined) return;
      done();
      const [method, url, version] = head.startLine;
      const request = new ServerRequest(method, url, head.headers, head.headerText);
      if (options.path !== undefined && url.split('?')[0] !== options.path) {
        upgrader.reject(socket, new HandshakeError(`no WebSocket endpoint at ${url.split('?')[0]}`, 404), request);
        return;
      }
      const conn = upgrader.complete(request, version.slice(5), socket as unknown as ConnSocket & Socket, head.rest, forget);
      if (conn === null) return;
      request.compact();
      connections.add(conn);
      runHandler(handler, conn);
    };
    const onClose = () => done();
    socket.on('data', onData);
    socket.on('error', ignoreError);
    socket.on('close', onClose);
  });

  const handle: WebSocketServer = {
    address: () => server.address() as AddressInfo,
    connections,
    async close({ code = CloseCode.GoingAway, reason = 'server shutting down', timeoutMs = 5000 } = {}) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of pending) socket.destroy();
      const closing = [...connections].map((conn) => conn.close(code, reason).catch(() => conn.closed));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(closing),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
      ]);
      clearTimeout(timer);
      for (const conn of connections) conn.terminate();
      await stopped;
    },
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(handle);
    });
  });
}
