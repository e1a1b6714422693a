import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Conn, type ConnSocket, type UpgradeRequest } from './conn/connection';
import type { CallbackHandler } from './conn/callback-delivery';
import { callListener } from './conn/listener';
import { HandshakeError } from './errors';
import { acceptResponse, checkUpgradeRequest, rejectResponse, repeatedSingleField, type HandshakePolicy } from './handshake/server';
import { Deadlines } from './handshake/deadlines';
import { HttpHeadParser } from './handshake/http-head';
import { ServerRequest } from './handshake/request';
import { resolveConnOptions, type ConnOptions, type ResolvedConnOptions } from './options';
import type { CompressionOptions } from './extensions/deflate-negotiation';
import { CloseCode } from './protocol/close-code';
import { upgradeStream } from './server-http2-upgrade';
import { negotiateUpgrade, serverDeflate } from './upgrade-negotiation';
import { serveSecure, type SecureServeOptions } from './server-http2';
import { encodeClosePayload } from './frame/close';
import { listen } from './listen';
import { nativeTransport, type Transport } from './transport/pick';
import { NativeServer } from './transport/native-server';
import type { NativeSocket } from './transport/native-socket';

/** Everything an Upgrader decides: handshake policy plus the options of the connections it makes. */
export interface UpgraderOptions extends HandshakePolicy, ConnOptions {
  /**
   * permessage-deflate (RFC 7692): on by default with 12-bit windows and memLevel 5
   * (about 50 KiB of zlib state per connection once both directions are used); false
   * declines every offer.
   */
  compression?: boolean | CompressionOptions;
  /**
   * Called with every rejected handshake (the response is already sent). A `checkOrigin`,
   * `subprotocols` or `headers` callback that throws is one: the client gets a 500 and the
   * error is the HandshakeError's `cause`. What this callback itself throws is ignored.
   */
  onHandshakeError?: (error: HandshakeError, request: UpgradeRequest | undefined) => void;
  /**
   * Called when the handler throws or its promise rejects (the connection is then closed
   * with 1011): serve()'s handler, or a CallbackHandler's callbacks (on serve() or
   * upgrade()). Default: console.error. What this callback itself throws is ignored.
   */
  onHandlerError?: (error: unknown, conn: Conn) => void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/**
 * The policy the handshake runs with: the options, with a checkOrigin that cannot say yes by
 * accident — a promise (an async checkOrigin) is truthy, and would let every origin in.
 */
function guardedPolicy(options: UpgraderOptions): HandshakePolicy {
  const { checkOrigin } = options;
  if (checkOrigin === undefined) return options;
  return {
    ...options,
    checkOrigin: (origin, request) => {
      const allowed: unknown = checkOrigin(origin, request);
      if (isThenable(allowed)) throw new TypeError('checkOrigin returned a promise; it must decide synchronously (await before calling upgrade())');
      return Boolean(allowed);
    },
  };
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
  private readonly policy: HandshakePolicy;

  /** @param options The options this upgrader was made with; read at construction. */
  constructor(readonly options: UpgraderOptions = {}) {
    this.connOptions = resolveConnOptions(options, 'server');
    this.policy = guardedPolicy(options);
  }

  /**
   * Answers the handshake on `socket`. Returns the connection, or null when the request was
   * rejected (the error response was written, the socket closed, and onHandshakeError told).
   * With `handler`, the connection's events go to its callbacks (see CallbackHandler): the
   * fast path, with no promise per message.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Uint8Array = new Uint8Array(0), handler?: CallbackHandler): Conn | null {
    const request: UpgradeRequest = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers };
    const repeated = repeatedSingleField(req.rawHeaders ?? []); // node:http keeps only the first Host
    if (repeated) {
      this.reject(socket, repeated, request);
      return null;
    }
    const conn = this.complete(request, req.httpVersion, socket as unknown as ConnSocket & Duplex, head);
    if (conn && handler) conn.deliverTo(handler, this.options.onHandlerError ?? printHandlerError);
    return conn;
  }

  /**
   * @internal The shared second half: validation, response, Conn. The application's
   * callbacks (checkOrigin, subprotocols, headers) run here, inside a socket event on
   * serve()'s path: one that throws gets the client a 500, never a crash.
   */
  complete(request: UpgradeRequest, httpVersion: string, socket: ConnSocket & Duplex, head: Uint8Array, onClosed?: (conn: Conn) => void): Conn | null {
    const agreed = negotiateUpgrade(this.options, request, () => checkUpgradeRequest(request, httpVersion, this.policy));
    if (agreed instanceof HandshakeError) {
      this.reject(socket, agreed, request);
      return null;
    }
    socket.write(acceptResponse(agreed.accepted, agreed.extensions, agreed.extra));
    return new Conn({
      socket, role: 'server', options: this.connOptions, head, request, onClosed,
      subprotocol: agreed.accepted.subprotocol, extensions: agreed.extensions, deflate: serverDeflate(this.options, agreed),
    });
  }

  /**
   * Answers an extended CONNECT (RFC 8441) on a node:http2 server's 'stream' event with
   * :status 200, or rejects it with the status HTTP/1.1 would get (the stream ends; the
   * session goes on). Returns the connection, or null when rejected (onHandshakeError told).
   * The checks and the policy are the ones upgrade() runs.
   *
   *     h2server.on('stream', (stream, headers) => {
   *       if (headers[':method'] !== 'CONNECT') return;
   *       const conn = upgrader.upgradeHttp2(stream, headers);
   *       if (conn) handle(conn);
   *     });
   */
  upgradeHttp2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, onClosed?: (conn: Conn) => void): Conn | null {
    return upgradeStream(this, this.connOptions, stream, headers, onClosed);
  }

  /** @internal The policy the handshake runs with (see guardedPolicy). */
  get handshakePolicy(): HandshakePolicy {
    return this.policy;
  }

  /** @internal Sends the error response, closes the socket, and reports the error. */
  reject(socket: Duplex, error: HandshakeError, request: UpgradeRequest | undefined): void {
    if (socket.writable) socket.end(rejectResponse(error));
    setTimeout(() => socket.destroy(), 1000).unref();
    this.reportRejection(error, request);
  }

  /** @internal Tells onHandshakeError (what it throws is ignored). */
  reportRejection(error: HandshakeError, request: UpgradeRequest | undefined): void {
    const listener = this.options.onHandshakeError;
    if (listener) callListener(listener, [error, request], ignoreError);
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
  /**
   * Serve wss:// instead of ws://: the key and certificate (PEM), plus any other
   * node:tls server option. HTTP/1.1 upgrades go through node:https's parser.
   */
  tls?: SecureServeOptions;
  /**
   * With `tls`: HTTP/2 as well (RFC 8441). One port, ALPN h2 and http/1.1; the HTTP/2
   * side advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and takes WebSockets as extended
   * CONNECT streams, the HTTP/1.1 side takes upgrades as before. Default false.
   */
  http2?: boolean;
  /**
   * The sockets of a ws:// server: `'native'` uses the runtime's own where it has them
   * (Bun.listen on Bun, Deno.listen on Deno), `'node'` node:net; `'auto'` (default) picks
   * Bun.listen on Bun (Bun's node:net costs up to 2× the CPU for large messages) and
   * node:net on Deno and Node. `tls` always goes through node:https.
   */
  transport?: Transport;
}

/** Options of WebSocketServer.close(). */
export interface ServerCloseOptions {
  /** Close code sent to every connection. Default 1001 (going away). */
  code?: number;
  /** Close reason sent with the code. Default 'server shutting down'. */
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
  /**
   * Graceful shutdown: stop accepting, close every connection, wait, then destroy the rest.
   * Rejects at once, changing nothing, on a code or reason that may not be sent.
   */
  close(options?: ServerCloseOptions): Promise<void>;
}

function ignoreError(): void {}

/** Starts a close handshake on a connection the application left open. */
function closeLeftOpen(conn: Conn, code: number, reason: string): void {
  if (conn.readyState === 'open') conn.close(code, reason).catch(ignoreError);
}

function printHandlerError(error: unknown): void {
  console.error('wasmws: a serve() handler failed:', error);
}

/**
 * What a server does when a handler ends, made once per server: each connection's async
 * handler gets the two bound to its Conn (two bound functions; closures would add a context
 * each connection holds for as long as its handler runs).
 */
interface HandlerEnds {
  readonly onHandlerError: (error: unknown, conn: Conn) => void;
  /** The handler's promise fulfilled (`this`: its Conn). */
  settled(this: Conn): void;
  /** The handler threw or its promise rejected (`this`: its Conn). */
  failed(this: Conn, error: unknown): void;
}

function handlerEnds(onHandlerError: (error: unknown, conn: Conn) => void): HandlerEnds {
  return {
    onHandlerError,
    settled(this: Conn) {
      closeLeftOpen(this, CloseCode.Normal, '');
    },
    failed(this: Conn, error: unknown) {
      closeLeftOpen(this, CloseCode.InternalError, 'handler failed');
      callListener(onHandlerError, [error, this], ignoreError);
    },
  };
}

/**
 * Runs the application's handler. A handler that returns a promise (an async handler) owns
 * the connection until the promise settles: fulfilled with the connection still open, serve
 * closes it with 1000; rejected (or thrown), with 1011, and the error goes to onHandlerError.
 * A handler that returns anything else (a plain function that hands the connection to a hub
 * or a list of its own) gives it to the application, and serve does not close it.
 */
function runHandler(handler: ServeHandler | CallbackHandler, conn: Conn, ends: HandlerEnds): void {
  if (typeof handler !== 'function') return conn.deliverTo(handler, ends.onHandlerError);
  try {
    const result: unknown = handler(conn);
    if (isThenable(result)) result.then(ends.settled.bind(conn), ends.failed.bind(conn));
  } catch (err) {
    ends.failed.call(conn, err);
  }
}

/**
 * Graceful shutdown of a server's connections: a close handshake on each, at most
 * `timeoutMs` to finish, then what is left is terminated.
 */
async function closeConnections(connections: ReadonlySet<Conn>, code: number, reason: string, timeoutMs: number): Promise<void> {
  const closing = [...connections].map((conn) => conn.close(code, reason).catch(() => conn.closed));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(closing),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
  ]);
  clearTimeout(timer);
  for (const conn of connections) conn.terminate();
}

/** What serve() calls with every new connection (see runHandler for its lifetime rule). */
export type ServeHandler = (conn: Conn) => void | Promise<void>;

/**
 * A standalone WebSocket server on node:net, with its own HTTP/1.1 request-head parser:
 * bounded head size, a handshake deadline, and every connection passed to `handler`: a
 * function (the Conn API: `for await`, `await send()`) or a CallbackHandler object
 * (Bun.serve-style `{ open, message, drain, close }`, the cheaper per message; the
 * application owns the connection, serve closes it only when a callback fails).
 * An async handler's promise is its connection's session: when it settles and the
 * connection is still open, serve closes it (1000 when it fulfilled, 1011 when it rejected);
 * a plain function that returns leaves the connection to the application (see runHandler).
 * Resolves once listening.
 */
export function serve(options: ServeOptions, handler: ServeHandler | CallbackHandler): Promise<WebSocketServer> {
  const upgrader = new Upgrader(options);
  const connections = new Set<Conn>();
  const pending = new Set<Socket | NativeSocket>();
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const deadlines = new Deadlines<Socket | NativeSocket>(handshakeTimeoutMs);
  const maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
  const ends = handlerEnds(options.onHandlerError ?? printHandlerError);

  const forget = (conn: Conn) => connections.delete(conn);
  if (options.tls) {
    return serveSecure(options, upgrader, {
      connections, forget, closeConnections,
      accept: (conn) => { connections.add(conn); runHandler(handler, conn, ends); },
    });
  }

  const onSocket = (socket: Socket | NativeSocket) => {
    // Everything below lives only until the handshake ends: once it does, no listener left
    // on the socket refers to this scope, so an open connection keeps none of it.
    pending.add(socket);
    const parser = new HttpHeadParser(maxHeadBytes, 'request');
    deadlines.add(socket, () => fail(new HandshakeError(`request head not received within ${handshakeTimeoutMs} ms`, 408)));
    const done = () => {
      deadlines.delete(socket);
      pending.delete(socket);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
    };
    const fail = (error: HandshakeError) => {
      done();
      upgrader.reject(socket as Duplex, error, undefined);
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
      // 'GET' (the only method upgraded) as the one shared literal: not a string per connection.
      const request = new ServerRequest(method === 'GET' ? 'GET' : method, url, head.headers, head.headerText);
      if (options.path !== undefined && url.split('?')[0] !== options.path) {
        upgrader.reject(socket as Duplex, new HandshakeError(`no WebSocket endpoint at ${url.split('?')[0]}`, 404), request);
        return;
      }
      const conn = upgrader.complete(request, version.slice(5), socket as unknown as ConnSocket & Socket, head.rest, forget);
      if (conn === null) return;
      request.compact();
      socket.off('error', ignoreError); // the Conn listens now: one listener less to hold
      connections.add(conn);
      runHandler(handler, conn, ends);
    };
    const onClose = () => done();
    // The peer's FIN before its head: our half ends too (the socket is half-open, see below).
    const onEnd = () => { done(); (socket as Duplex).end(); };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', ignoreError);
    socket.on('close', onClose);
  };
  // The transport-pick seam: the runtime's own listener, or node:net.
  const native = nativeTransport(options.transport);
  // Half-open, as node:http's sockets are: at a peer's FIN the Conn ends our half itself, after
  // the replies to the messages that came before it (core.ts onPeerEnd), where Node would at once.
  const server: Server | NativeServer = native ? new NativeServer(native, onSocket) : createServer({ allowHalfOpen: true }, onSocket);

  const handle: WebSocketServer = {
    address: () => server.address() as AddressInfo,
    connections,
    async close({ code = CloseCode.GoingAway, reason = 'server shutting down', timeoutMs = 5000 } = {}) {
      // A code or reason that may not be sent rejects before anything stops: found while
      // closing the first connection, it left the listener closed and every connection open.
      encodeClosePayload(code, reason);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of pending) socket.destroy();
      await closeConnections(connections, code, reason, timeoutMs);
      await stopped;
    },
  };

  return listen(server, options, handle);
}
