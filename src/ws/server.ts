// ws's WebSocketServer over wasmws: the handshake is wasmws's (src/handshake, src/extensions),
// each connection a wasmws Conn wrapped in this façade's WebSocket.
import { EventEmitter } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Conn, type ConnSocket, type UpgradeRequest } from '../conn/connection';
import { HandshakeError } from '../errors';
import type { CompressionOptions } from '../extensions/deflate-negotiation';
import { PerMessageDeflate } from '../extensions/permessage-deflate';
import { resolveConnOptions, type ResolvedConnOptions } from '../options';
import { abortHandshake, acceptLines, rejectInvalid, responseHead, validateUpgrade, type ValidUpgrade } from './handshake';
import { DEFAULT_MAX_PAYLOAD, toCompression, toConnOptions, unsupported, type ServerOptions, type VerifyClientInfo } from './options';
import { WebSocket } from './websocket';

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

const kUpgraded = Symbol('wasmws.ws.upgraded');

/** Until the upgrade is answered, a socket error just ends the socket (as ws). */
function socketOnError(this: Duplex): void {
  this.destroy();
}

/** ServerOptions with ws's defaults filled in (ws exposes them as `server.options`). */
type ResolvedServerOptions = ServerOptions & { maxPayload: number; clientTracking: boolean; perMessageDeflate: ServerOptions['perMessageDeflate'] };

/**
 * ws 8's WebSocketServer: `new WebSocketServer({ port } | { server } | { noServer: true })`,
 * `handleUpgrade(req, socket, head, cb)`, events connection, headers, listening, error, close,
 * wsClientError. Unlike wasmws's own Upgrader there is no origin check (ws has none):
 * verifyClient is where an application decides.
 */
export class WebSocketServer extends EventEmitter {
  /** The options, with ws's defaults; `handleProtocols` is read from here at each upgrade. */
  readonly options: ResolvedServerOptions;
  /** The connected clients, when clientTracking is on (the default); undefined otherwise, as ws. */
  readonly clients: Set<WebSocket>;
  private server: HttpServer | null = null;
  private removeListeners: (() => void) | null = null;
  private state = RUNNING;
  private shouldEmitClose = false;
  /** The mapping of the perMessageDeflate value last seen, kept while the value is the same. */
  private compression: { from: unknown; to: false | CompressionOptions } = { from: undefined, to: false };
  private readonly connOptions: ResolvedConnOptions;

  constructor(options: ServerOptions = {}, callback?: () => void) {
    super();
    const opts: ResolvedServerOptions = {
      maxPayload: DEFAULT_MAX_PAYLOAD, clientTracking: true, perMessageDeflate: false, handleProtocols: undefined,
      verifyClient: undefined, noServer: false, path: undefined, ...options,
    };
    const hasPort = opts.port !== undefined && opts.port !== null;
    if ((!hasPort && !opts.server && !opts.noServer) || (hasPort && (opts.server || opts.noServer)) || (opts.server && opts.noServer)) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    if (opts.WebSocket !== undefined) throw unsupported('the server option \'WebSocket\' (a custom WebSocket class)');
    if (opts.perMessageDeflate === true) opts.perMessageDeflate = {};
    this.options = opts;
    this.connOptions = resolveConnOptions({ ...toConnOptions(opts.maxPayload), autoPong: opts.autoPong !== false }, 'server');
    if (hasPort) {
      const server = createServer((_req, res) => {
        const body = STATUS_CODES[426]!;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      });
      this.server = server;
      server.listen(opts.port, opts.host, opts.backlog, callback);
    } else if (opts.server) {
      this.server = opts.server as HttpServer;
    }
    if (this.server) this.listenTo(this.server);
    this.clients = (opts.clientTracking ? new Set() : undefined) as Set<WebSocket>;
  }

  /** The `path` option, or '' (declared by @types/ws). */
  get path(): string {
    return this.options.path ?? '';
  }

  /**
   * The address of the HTTP server; throws in noServer mode (as ws). Null once closed or before
   * listening (typed without null, as crossws's copy of the ws types has it).
   */
  address(): AddressInfo | string {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return (this.server ? this.server.address() : null) as AddressInfo | string;
  }

  /**
   * Stops accepting connections; existing ones stay open (ws 8). 'close' (and `cb`) follows
   * once the internal HTTP server is closed, or once every tracked client is gone.
   */
  close(cb?: (err?: Error) => void): void {
    if (this.state === CLOSED) {
      if (cb) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(() => this.emitClose());
      return;
    }
    if (cb) this.once('close', () => cb());
    if (this.state === CLOSING) return;
    this.state = CLOSING;
    const server = this.server;
    this.removeListeners?.();
    this.removeListeners = null;
    this.server = null;
    if (server && !this.options.server && !this.options.noServer) {
      server.close(() => this.emitClose());
    } else if (this.clients?.size > 0) {
      this.shouldEmitClose = true;
    } else {
      process.nextTick(() => this.emitClose());
    }
  }

  /** Whether this server takes the request (ws's rule: the path, when one is set). */
  shouldHandle(req: IncomingMessage): boolean {
    if (this.options.path) {
      const url = req.url ?? '/';
      const index = url.indexOf('?');
      if ((index === -1 ? url : url.slice(0, index)) !== this.options.path) return false;
    }
    return true;
  }

  /**
   * Answers the upgrade on `socket` (any Duplex) and calls `cb(ws, req)` with the connection;
   * a rejected request gets its error response and `cb` is not called.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer | Uint8Array, cb: (ws: WebSocket, req: IncomingMessage) => void): void {
    socket.on('error', socketOnError);
    // Read at each upgrade, as ws does: crossws swaps options.perMessageDeflate per request.
    const compression = this.compressionNow();
    const valid = validateUpgrade(req, compression);
    if (valid instanceof HandshakeError) {
      this.clientError(req, socket, valid);
      return;
    }
    if (!this.shouldHandle(req)) {
      abortHandshake(socket, 400);
      return;
    }
    const verify = this.options.verifyClient;
    if (verify) {
      const tls = req.socket as { authorized?: boolean; encrypted?: boolean } | undefined;
      const info: VerifyClientInfo = { origin: req.headers.origin, secure: !!(tls?.authorized || tls?.encrypted), req };
      if (verify.length === 2) {
        try {
          verify(info, (verified, code, message, headers) => {
            if (!verified) abortHandshake(socket, code || 401, message, headers);
            else this.completeUpgrade(valid, compression, req, socket, head, cb);
          });
        } catch {
          abortHandshake(socket, 500);
        }
        return;
      }
      let verified: boolean;
      try {
        verified = (verify as (info: VerifyClientInfo) => boolean)(info);
      } catch {
        abortHandshake(socket, 500);
        return;
      }
      if (!verified) {
        abortHandshake(socket, 401);
        return;
      }
    }
    this.completeUpgrade(valid, compression, req, socket, head, cb);
  }

  private completeUpgrade(valid: ValidUpgrade, compression: false | CompressionOptions, req: IncomingMessage, socket: Duplex, head: Uint8Array, cb: (ws: WebSocket, req: IncomingMessage) => void): void {
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    const marked = socket as Duplex & { [kUpgraded]?: boolean };
    if (marked[kUpgraded]) {
      throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration');
    }
    if (this.state > RUNNING) {
      abortHandshake(socket, 503);
      return;
    }
    let lines: string[];
    let protocol: string | undefined;
    try {
      protocol = this.chooseProtocol(valid.protocols, req);
      lines = acceptLines(valid.key, protocol, valid.deflate?.extension);
      this.emit('headers', lines, req);
    } catch {
      abortHandshake(socket, 500);
      return;
    }
    marked[kUpgraded] = true;
    socket.write(responseHead(lines));
    socket.off('error', socketOnError);
    const request: UpgradeRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    const deflate = valid.deflate && new PerMessageDeflate(valid.deflate.params, 'server', compression || {});
    const conn = new Conn({
      socket: socket as unknown as ConnSocket, role: 'server', options: this.connOptions, head, request, deflate,
      subprotocol: protocol, extensions: valid.deflate?.extension,
    });
    const ws = new WebSocket(null);
    ws.attach(conn, undefined, socket);
    const clients = this.clients;
    if (clients) {
      clients.add(ws);
      ws.on('close', () => {
        clients.delete(ws);
        if (this.shouldEmitClose && clients.size === 0) process.nextTick(() => this.emitClose());
      });
    }
    cb(ws, req);
  }

  /**
   * ws's rule: handleProtocols (read now: graphql-ws sets it after construction) picks, else
   * the first offer. RFC 6455 §4.2.2: only an offered subprotocol may be chosen, so a pick
   * that was not offered fails the handshake (ws would send it and the client would fail).
   */
  private chooseProtocol(protocols: Set<string>, req: IncomingMessage): string | undefined {
    if (protocols.size === 0) return undefined;
    const handle = this.options.handleProtocols;
    const chosen = handle ? handle(protocols, req) : protocols.values().next().value;
    if (!chosen) return undefined;
    if (!protocols.has(chosen)) throw new HandshakeError(`subprotocol ${chosen} was not offered`, 500);
    return chosen;
  }

  /** wasmws's compression options for `options.perMessageDeflate` as it is now. */
  private compressionNow(): false | CompressionOptions {
    const value = this.options.perMessageDeflate;
    if (this.compression.from !== value) this.compression = { from: value, to: toCompression(value, false) };
    return this.compression.to;
  }

  /** A request that failed validation: 'wsClientError' listeners handle it, else the error response. */
  private clientError(req: IncomingMessage, socket: Duplex, error: HandshakeError): void {
    if (this.listenerCount('wsClientError') > 0) this.emit('wsClientError', error, socket, req);
    else rejectInvalid(socket, error);
  }

  private listenTo(server: HttpServer): void {
    const onListening = () => this.emit('listening');
    const onError = (err: Error) => this.emit('error', err);
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(req, socket, head, (ws, request) => this.emitConnection(ws, request));
    };
    server.on('listening', onListening);
    server.on('error', onError);
    server.on('upgrade', onUpgrade);
    this.removeListeners = () => {
      server.off('listening', onListening);
      server.off('error', onError);
      server.off('upgrade', onUpgrade);
    };
  }

  /** A 'connection' listener that throws closes that connection with 1011 instead of crashing. */
  private emitConnection(ws: WebSocket, req: IncomingMessage): void {
    try {
      this.emit('connection', ws, req);
    } catch {
      if (ws.readyState === WebSocket.OPEN) ws.close(1011, 'connection listener failed');
    }
  }

  private emitClose(): void {
    this.state = CLOSED;
    this.emit('close');
  }
}
