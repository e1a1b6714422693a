import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import type { Message } from '../frame/message';
import type { Role } from '../frame/reader';
import type { ConnOptions } from '../options';
import { CloseCode } from '../protocol/close-code';
import { deliverToCallbacks, type CallbackHandler, type HandlerErrorListener } from './callback-delivery';
import { ConnCore, type CloseInfo, type ConnSocket } from './core';
import type { WriteCallback } from './completions';
import type { Inbox } from './inbox';
import type { MessageReader } from './message-reader';
import type { MessageWriter } from './message-writer';
import type { Sendable, SendOptions } from './sender';

export type { CloseInfo, ConnSocket } from './core';
export type { WriteCallback } from './completions';

/** send()'s default: one shared object, not one per call (a broadcast sends thousands a turn). */
const NO_SEND_OPTIONS: SendOptions = Object.freeze({});

/**
 * What `for await (… of conn)` iterates with: one small object whose methods are on the
 * prototype. A suspended loop holds it for the connection's life, and an object literal
 * with three closures (and a computed method's name string) cost ~370 bytes a connection.
 */
class ConnIterator implements AsyncIterableIterator<Message> {
  constructor(private readonly inbox: Inbox) {}

  /** The iteration itself (see Inbox.next). */
  next(): Promise<IteratorResult<Message>> {
    return this.inbox.next();
  }

  /** Leaving the loop early neither closes the connection nor drops a message. */
  return(value?: unknown): Promise<IteratorResult<Message>> {
    return Promise.resolve({ done: true, value });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }
}

/** The upgrade request as the server saw it. */
export interface UpgradeRequest {
  /** The request method (`GET`). */
  method: string;
  /** The request target, e.g. `/ws?room=1`. */
  url: string;
  /** The request headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
}

/** What the handshake hands to a new Conn. */
export interface ConnInit {
  /** The socket the connection runs on, after the handshake. */
  socket: ConnSocket;
  /** `'server'` or `'client'`: decides masking and who ends TCP first. */
  role: Role;
  /** Limits, timeouts and the codec; unset ones take their defaults. */
  options?: ConnOptions;
  /** Bytes that arrived after the handshake, before the Conn existed. */
  head?: Uint8Array;
  /** The subprotocol the handshake agreed on, if any. */
  subprotocol?: string;
  /** The `Sec-WebSocket-Extensions` the handshake agreed on, if any. */
  extensions?: string;
  /** The upgrade request (server side). */
  request?: UpgradeRequest;
  /** permessage-deflate, when the handshake agreed to it. */
  deflate?: PerMessageDeflate;
  /** Called once, when the connection is closed. */
  onClosed?: (conn: Conn) => void;
}

/**
 * A WebSocket connection, the same type on both ends (gorilla's Conn).
 *
 * Read with `read()`, `for await (const msg of conn)` or `nextReader()`; write with `send()`
 * (await it for backpressure) or `nextWriter()`; `ping()`, `close()`, `closed`. The
 * protocol itself (frames, control frames, the close handshake) runs in ConnCore.
 */
export class Conn implements AsyncIterable<Message> {
  /** 'server' or 'client'. */
  readonly role: Role;
  /** The subprotocol agreed in the handshake, or ''. */
  readonly subprotocol: string;
  /** The Sec-WebSocket-Extensions agreed in the handshake, or ''. */
  readonly extensions: string;
  /** The upgrade request (server side). */
  readonly request: UpgradeRequest | undefined;
  private readonly core: ConnCore;
  private peerAddress: string | undefined;

  constructor(init: ConnInit) {
    this.role = init.role;
    this.subprotocol = init.subprotocol ?? '';
    this.extensions = init.extensions ?? '';
    this.request = init.request;
    this.core = new ConnCore(init, this);
  }

  /**
   * The peer's address, as the socket reports it. Read on first use (it costs a syscall per
   * connection) and kept; read it while the connection is open.
   */
  get remoteAddress(): string | undefined {
    return (this.peerAddress ??= this.core.socket.remoteAddress);
  }

  /** Resolves once the connection is closed, however it ended. Never rejects. */
  get closed(): Promise<CloseInfo> {
    return this.core.closed;
  }

  /**
   * Called with each ping's payload (the pong is sent automatically, before the call). A
   * listener that throws or rejects fails the connection with 1011, its error the `cause`
   * of the CloseError that reads then get.
   */
  get onPing(): ((payload: Uint8Array) => void) | undefined {
    return this.core.control.onPing;
  }
  /** Sets the ping listener (see the getter). */
  set onPing(listener: ((payload: Uint8Array) => void) | undefined) {
    this.core.control.onPing = listener;
  }

  /** Called with each pong's payload. Throwing or rejecting fails the connection, as for onPing. */
  get onPong(): ((payload: Uint8Array) => void) | undefined {
    return this.core.control.onPong;
  }
  /** Sets the pong listener (see the getter). */
  set onPong(listener: ((payload: Uint8Array) => void) | undefined) {
    this.core.control.onPong = listener;
  }

  // ── reading ───────────────────────────────────────────────────────────────────────

  /**
   * The next message. Rejects with a CloseError once the connection is closed and every
   * message received before the close has been read.
   */
  read(): Promise<Message> {
    return this.core.inbox.read();
  }

  /** The next message as a stream of chunks, consumed as it arrives. */
  nextReader(): Promise<MessageReader> {
    return this.core.inbox.nextReader();
  }

  /**
   * Iterates messages; ends quietly on a normal close (1000, 1001, 1005), throws a CloseError
   * otherwise. The loop is only a reader (gorilla's rule): leaving it early (break, return,
   * throw) neither closes the connection nor drops a message, and a later loop or read()
   * goes on with the next message. Close the connection yourself, or let serve() do it when
   * an async handler returns.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return new ConnIterator(this.core.inbox);
  }

  /**
   * @internal Hands every message to `handler` from now on, instead of read()/for await
   * (serve() and the Upgrader call it when given a CallbackHandler).
   */
  deliverTo(handler: CallbackHandler, onHandlerError: HandlerErrorListener): void {
    deliverToCallbacks(this, this.core, handler, onHandlerError);
  }

  /**
   * Stops reading (backpressure): the socket is paused, so the peer's writes back up into
   * TCP, and no message is handed out (read(), iteration, nextReader()) until
   * resumeReading(); messages already received wait, in order. Control frames are not read
   * either while paused (a ping waits for its pong, the peer's close for its echo). Once the
   * connection closes (terminate(), a socket error), what was held is delivered, then the
   * close. Idempotent.
   */
  pauseReading(): void {
    this.core.pauseByApp();
  }

  /** Reads again after pauseReading(): the messages held are handed out first, in order. */
  resumeReading(): void {
    this.core.resumeByApp();
  }

  /** True between pauseReading() and resumeReading(). */
  get isReadingPaused(): boolean {
    return this.core.isPausedByApp;
  }

  // ── writing ───────────────────────────────────────────────────────────────────────

  /**
   * Sends a message: strings as text, bytes as binary (unless `binary` says otherwise), or a
   * PreparedMessage. Resolves when the message is queued and the connection is under its
   * high-water mark: at once while little waits for this turn's write (see README), else once
   * the frames are with the socket and it has drained. Messages leave in call order, and before the close frame of a later
   * close(). Rejects (never throws) once the connection is closing; not awaiting it never
   * causes an unhandled rejection.
   *
   * `onWritten`, when given, is called once the socket has written the message's last byte
   * (a compressed message: its compressed frames), or with the error when the connection
   * fails or closes first, or when the send is refused. It is called exactly once, never
   * synchronously, and callbacks run in the order of the calls that gave them (send, ping,
   * pong). One that throws or rejects fails the connection with 1011, as onPing does.
   */
  send(data: Sendable, options: SendOptions = NO_SEND_OPTIONS, onWritten?: WriteCallback): Promise<void> {
    return this.core.send(data, options, onWritten);
  }

  /** Starts a message written in fragments; other sends wait until it is closed. */
  nextWriter(type: 'text' | 'binary' = 'binary'): Promise<MessageWriter> {
    return this.core.nextWriter(type);
  }

  /** @internal nextWriter() without the promise, for wasmws/ws's fin:false sends; throws once closing. */
  openWriter(type: 'text' | 'binary'): MessageWriter {
    return this.core.openWriter(type);
  }

  /**
   * Sends a ping; resolves with the round-trip time in ms when its pong arrives. Rejects with
   * a TimeoutError when none came within pongTimeoutMs (the connection stays open), with
   * WS_ERR_TOO_MANY_PINGS (and sends nothing) while MAX_PENDING_PINGS are waiting, and with
   * the CloseError when the connection closes first, and at once (never a throw) once it is
   * closing. Not awaiting it never causes an unhandled rejection. `onWritten` is told once
   * the ping frame is written, or with the error (see send()).
   */
  ping(data: Uint8Array | string = new Uint8Array(0), onWritten?: WriteCallback): Promise<number> {
    return this.core.ping(data, onWritten);
  }

  /**
   * Sends a pong: unasked, a one-way heartbeat (RFC 6455 §5.5.3); with `autoPong: false`,
   * the application's answer to a ping. At most 125 bytes; throws once closing. `onWritten`
   * is told once the frame is written, or with the error (see send()).
   */
  pong(data: Uint8Array = new Uint8Array(0), onWritten?: WriteCallback): void {
    this.core.pong(data, onWritten);
  }

  /** Bytes queued for the socket and not yet written by it, from send() on (a message being compressed counts at its uncompressed size). */
  get bufferedAmount(): number {
    return this.core.bufferedAmount;
  }

  /** 'open', 'closing' or 'closed'. */
  get readyState(): 'open' | 'closing' | 'closed' {
    return this.core.readyState;
  }

  // ── closing ───────────────────────────────────────────────────────────────────────

  /**
   * Starts the close handshake (code 1000 by default; null sends a close frame without a
   * code, which the peer sees as 1005) and resolves when the connection is closed. Throws at
   * once on a code or reason that may not be sent. Idempotent.
   */
  close(code: number | null = CloseCode.Normal, reason = ''): Promise<CloseInfo> {
    return this.core.close(code ?? undefined, reason);
  }

  /** Ends the TCP connection at once, with no close handshake. */
  terminate(error?: Error): void {
    this.core.terminate(error);
  }
}
