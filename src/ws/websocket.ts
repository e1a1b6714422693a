// ws's WebSocket class: an EventEmitter over a wasmws Conn. It translates; framing, the close
// handshake, backpressure and permessage-deflate all run in the Conn's core.
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Conn } from '../conn/connection';
import { CloseError, ProtocolError } from '../errors';
import type { Message } from '../frame/message';
import { isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from '../protocol/close-code';
import { MAX_CONTROL_PAYLOAD_BYTES } from '../protocol/limits';
import { connectClient, parseClientArgs, type HandshakeResponse } from './client';
import { addEventListener, getAttribute, removeEventListener, setAttribute, type WsCloseEvent, type WsErrorEvent, type WsEvent, type WsMessageEvent } from './event-target';
import type { ClientOptions } from './options';
import { FragmentSender, toPayload, type SendCallback, type WsSendOptions } from './send';

/** ws's binaryType values. */
export type WsBinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const BINARY_TYPES = new Set<string>(['nodebuffer', 'arraybuffer', 'fragments', 'blob']);

function notOpen(state: number): Error {
  return new Error(`WebSocket is not open: readyState ${state} (${STATE_NAMES[state]})`);
}

/**
 * A WebSocket with ws 8's API: `new WebSocket(address, protocols, options)` dials; a
 * WebSocketServer hands out server-side ones. Events: open, message(data, isBinary),
 * ping(data), pong(data), close(code, reason: Buffer), error, upgrade, unexpected-response.
 */
export class WebSocket extends EventEmitter {
  /** `readyState` 0: the handshake is under way. */
  static readonly CONNECTING = 0;
  /** `readyState` 1: open, messages flow. */
  static readonly OPEN = 1;
  /** `readyState` 2: the close handshake has begun. */
  static readonly CLOSING = 2;
  /** `readyState` 3: closed. */
  static readonly CLOSED = 3;
  /** `readyState` 0: the handshake is under way. */
  declare readonly CONNECTING: 0;
  /** `readyState` 1: open, messages flow. */
  declare readonly OPEN: 1;
  /** `readyState` 2: the close handshake has begun. */
  declare readonly CLOSING: 2;
  /** `readyState` 3: closed. */
  declare readonly CLOSED: 3;

  private state: 0 | 1 | 2 | 3 = WebSocket.CONNECTING;
  private conn: Conn | null = null;
  private kind: WsBinaryType = 'nodebuffer';
  private paused = false;
  private wakeReader: (() => void) | null = null;
  /** The Conn is closed: pause() has nothing left to hold back (ws emits close once TCP is gone). */
  private connGone = false;
  private address: string;
  private bytesAfterClose = 0;
  private closeFrameReceived: { code: number; reason: string } | null = null;
  private clean = false;
  private fragments: FragmentSender | null = null;
  /** The line of sends waiting behind a Blob being read; null when none. */
  private blobs: Promise<void> | null = null;
  private readonly abort: AbortController | null = null;

  /** `address` null makes a server-side socket (WebSocketServer's). */
  constructor(address: string | URL | null, protocols?: string | string[] | ClientOptions, options?: ClientOptions) {
    super();
    if (address === null) {
      this.address = '';
      return;
    }
    const args = parseClientArgs(address, protocols, options);
    this.address = args.url.href;
    this.abort = new AbortController();
    connectClient(this, args, this.abort.signal);
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): 0 | 1 | 2 | 3 {
    // The core may be closing (a close frame arrived) before the read loop has seen it.
    if (this.state === WebSocket.OPEN && this.conn !== null && this.conn.readyState !== 'open') return WebSocket.CLOSING;
    return this.state;
  }

  /** The URL (client side); undefined on the server side, as ws (typed string, as @types/ws). */
  get url(): string {
    return (this.address || undefined) as string;
  }

  /** The subprotocol agreed, or ''. */
  get protocol(): string {
    return this.conn?.subprotocol ?? '';
  }

  /** The names of the extensions agreed, comma-separated (ws's form), or ''. */
  get extensions(): string {
    const agreed = this.conn?.extensions ?? '';
    return agreed === '' ? '' : agreed.split(',').map((e) => e.split(';')[0].trim()).join(',');
  }

  /** Bytes queued and not yet written (plus those given to send() after close, as ws counts them). */
  get bufferedAmount(): number {
    return (this.conn?.bufferedAmount ?? 0) + this.bytesAfterClose;
  }

  /**
   * How binary messages arrive: 'nodebuffer' (default), 'arraybuffer', 'fragments' (Buffer[]),
   * 'blob'. (Typed without 'blob' on read, as @types/ws is, so this class passes for its type.)
   */
  get binaryType(): Exclude<WsBinaryType, 'blob'> {
    return this.kind as Exclude<WsBinaryType, 'blob'>;
  }
  /** Sets how binary messages arrive (see the getter); other values are ignored. */
  set binaryType(type: WsBinaryType) {
    if (BINARY_TYPES.has(type)) this.kind = type;
  }

  /** True while pause() holds incoming messages back. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** True once both close frames were exchanged (for the close event's wasClean). */
  get wasClean(): boolean {
    return this.clean;
  }

  // ── sending ──────────────────────────────────────────────────────────────────────

  /**
   * Sends a message. `cb(err)` runs once the data is handed to the socket, or with the error.
   * Throws while connecting; after close, `cb` gets an error (as ws).
   */
  send(data: unknown, options?: WsSendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    if (this.state === WebSocket.CONNECTING) throw notOpen(this.state);
    if ((typeof Blob === 'function' && data instanceof Blob) || this.blobs !== null) {
      this.sendInOrder(data, options ?? {}, cb);
      return;
    }
    this.sendNow(toPayload(data), options, cb);
  }

  /** A Blob's bytes arrive later: it, and every send after it until it is out, wait in line. */
  private sendInOrder(data: unknown, options: WsSendOptions, cb: SendCallback | undefined): void {
    const bytes = data instanceof Blob ? data.arrayBuffer() : Promise.resolve(data);
    const line: Promise<void> = (this.blobs ?? Promise.resolve())
      .then(() => bytes)
      .then((payload) => this.sendNow(toPayload(payload), options, cb), (err: Error) => cb && this.callBack(cb, err))
      .then(() => { if (this.blobs === line) this.blobs = null; });
    this.blobs = line;
  }

  private sendNow(payload: string | Uint8Array, options: WsSendOptions | undefined, cb: SendCallback | undefined): void {
    const conn = this.conn;
    if (this.readyState !== WebSocket.OPEN || conn === null) {
      this.sendAfterClose(payload, cb);
      return;
    }
    const binary = options?.binary ?? typeof payload !== 'string';
    const compress = options?.compress !== false;
    const done = cb === undefined ? undefined : this.writeCallback(cb);
    if (options?.fin === false || this.fragments !== null) {
      this.fragments ??= new FragmentSender(conn, binary);
      this.fragments.write(payload, options?.fin !== false, done);
      if (options?.fin !== false) this.fragments = null;
      return;
    }
    // The promise is the core's, marked handled: a send without a callback costs nothing more.
    void conn.send(payload, { binary, compress }, done);
  }

  /** Sends a ping (at most 125 bytes). `cb` runs once it is written, or with the error. */
  ping(data?: unknown, mask?: boolean, cb?: (err: Error) => void): void {
    this.control('ping', data, mask, cb as SendCallback | undefined);
  }

  /**
   * Sends a pong (an unsolicited one is a one-way heartbeat, RFC 6455 §5.5.3; with
   * `autoPong: false`, the answer to a ping). `cb` runs once it is written, or with the error.
   */
  pong(data?: unknown, mask?: boolean, cb?: (err: Error) => void): void {
    this.control('pong', data, mask, cb as SendCallback | undefined);
  }

  // ── closing ──────────────────────────────────────────────────────────────────────

  /**
   * Starts the close handshake. Throws TypeError on a code that may not be sent and RangeError
   * on a reason over 123 bytes (as ws). While connecting it aborts the handshake.
   */
  close(code?: number, reason?: string | Buffer): void {
    if (this.state === WebSocket.CLOSED) return;
    if (this.state === WebSocket.CONNECTING) {
      this.abortHandshake();
      return;
    }
    if (this.state === WebSocket.CLOSING) return; // as ws: a second close() neither checks nor sends
    if (code !== undefined && (typeof code !== 'number' || !isValidWireCloseCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    const text = reason === undefined ? '' : String(reason);
    if (Buffer.byteLength(text) > MAX_CLOSE_REASON_BYTES) throw new RangeError('The message must not be greater than 123 bytes');
    this.state = WebSocket.CLOSING;
    // No code: an empty close frame, as ws sends (RFC 6455 §5.5.1; the peer sees 1005).
    void this.conn?.close(code ?? null, code === undefined ? '' : text).catch(() => {});
  }

  /** Destroys the connection at once (close code 1006). */
  terminate(): void {
    if (this.state === WebSocket.CLOSED) return;
    if (this.state === WebSocket.CONNECTING) {
      this.abortHandshake();
      return;
    }
    this.state = WebSocket.CLOSING;
    this.conn?.terminate(); // paused or not, the close event follows (see connGone)
  }

  /** close()/terminate() while connecting: CLOSING at once (sends then fail, not throw, as ws), then error and close 1006. */
  private abortHandshake(): void {
    this.state = WebSocket.CLOSING;
    this.abort?.abort(new Error('WebSocket was closed before the connection was established'));
  }

  /**
   * Stops reading from the socket (the peer's writes back up into TCP) and emitting
   * messages, as ws's pause(); the messages received meanwhile are emitted by resume(), in
   * order. If the connection ends meanwhile, they are emitted, then close.
   */
  pause(): void {
    if (this.state === WebSocket.CONNECTING || this.state === WebSocket.CLOSED) return;
    this.paused = true;
    this.conn?.pauseReading();
  }

  /** Reads and emits messages again after pause(). */
  resume(): void {
    if (this.state === WebSocket.CONNECTING || this.state === WebSocket.CLOSED) return;
    this.paused = false;
    this.conn?.resumeReading();
    this.wake();
  }

  // ── EventTarget (as ws) ──────────────────────────────────────────────────────────

  /** Adds a listener as ws's EventTarget shim does (`open`, `message`, `error`, `close`); `once` removes it after one call. */
  addEventListener(type: string, handler: never, options?: { once?: boolean }): void {
    addEventListener(this, type, handler, options);
  }
  /** Removes a listener added with addEventListener(). */
  removeEventListener(type: string, handler: never): void {
    removeEventListener(this, type, handler);
  }
  /** The `open` handler set through the attribute, or null. */
  get onopen(): ((event: WsEvent) => void) | null { return getAttribute(this, 'open') as never; }
  /** Sets the `open` handler, replacing the previous one (null removes it). */
  set onopen(handler: ((event: WsEvent) => void) | null) { setAttribute(this, 'open', handler); }
  /** The `message` handler set through the attribute, or null. */
  get onmessage(): ((event: WsMessageEvent) => void) | null { return getAttribute(this, 'message') as never; }
  /** Sets the `message` handler, replacing the previous one (null removes it). */
  set onmessage(handler: ((event: WsMessageEvent) => void) | null) { setAttribute(this, 'message', handler); }
  /** The `error` handler set through the attribute, or null. */
  get onerror(): ((event: WsErrorEvent) => void) | null { return getAttribute(this, 'error') as never; }
  /** Sets the `error` handler, replacing the previous one (null removes it). */
  set onerror(handler: ((event: WsErrorEvent) => void) | null) { setAttribute(this, 'error', handler); }
  /** The `close` handler set through the attribute, or null. */
  get onclose(): ((event: WsCloseEvent) => void) | null { return getAttribute(this, 'close') as never; }
  /** Sets the `close` handler, replacing the previous one (null removes it). */
  set onclose(handler: ((event: WsCloseEvent) => void) | null) { setAttribute(this, 'close', handler); }

  // ── wiring (called by the server and the client handshake) ──────────────────────

  /**
   * The underlying socket (server side), as ws's `_socket`: applications read
   * `ws._socket.remoteAddress`, crossws listens for 'drain'. Never read from it or write to it.
   */
  _socket: Duplex | undefined;

  /** @internal The handshake is done: run on `conn`. */
  attach(conn: Conn, response?: HandshakeResponse, socket?: Duplex): void {
    this._socket = socket;
    if (this.abort?.signal.aborted) {
      conn.terminate(); // close() came after the 101 was read, before this turn
      this.failHandshake(this.abort.signal.reason as Error);
      return;
    }
    this.conn = conn;
    if (this.state === WebSocket.CONNECTING) this.state = WebSocket.OPEN;
    conn.onPing = (payload) => this.emitSafely('ping', Buffer.from(payload));
    conn.onPong = (payload) => this.emitSafely('pong', Buffer.from(payload));
    if (response) this.emitSafely('upgrade', response);
    this.emitSafely('open');
    void this.readLoop(conn);
    void conn.closed.then(() => {
      this.connGone = true;
      this.wake();
    });
  }

  /** @internal A redirect is being followed: the url is the next one's (as ws's). */
  redirected(url: string): void {
    this.address = url;
  }

  /** @internal The client handshake failed (or was aborted): error, then close 1006. */
  failHandshake(error: Error | undefined): void {
    this.state = WebSocket.CLOSING; // as ws: CLOSING during 'error', CLOSED at 'close'
    if (error) this.emitSafely('error', error);
    this.state = WebSocket.CLOSED;
    this.emitSafely('close', 1006, Buffer.alloc(0));
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  /** ping/pong, with ws's argument shuffle: (cb), (data, cb), (data, mask, cb). */
  private control(kind: 'ping' | 'pong', data: unknown, mask: unknown, cb: SendCallback | undefined): void {
    if (typeof data === 'function') {
      cb = data as SendCallback;
      data = undefined;
    } else if (typeof mask === 'function') {
      cb = mask as SendCallback;
    }
    if (this.state === WebSocket.CONNECTING) throw notOpen(this.state);
    const payload = toPayload(data);
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (bytes.byteLength > MAX_CONTROL_PAYLOAD_BYTES) throw new RangeError('The data size must not be greater than 125 bytes');
    const conn = this.conn;
    if (this.readyState !== WebSocket.OPEN || conn === null) {
      this.sendAfterClose(payload, cb);
      return;
    }
    const done = cb === undefined ? undefined : this.writeCallback(cb);
    if (kind === 'ping') void conn.ping(bytes, done); // the round trip's promise is marked handled
    else conn.pong(bytes, done);
  }

  private sendAfterClose(payload: string | Uint8Array, cb: SendCallback | undefined): void {
    this.bytesAfterClose += typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    if (cb) {
      const error = notOpen(this.readyState);
      process.nextTick(() => this.callBack(cb, error));
    }
  }

  /** Lets the read loop held by pause() go on (after resume(), or once the Conn is gone). */
  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = null;
    wake?.();
  }

  private async readLoop(conn: Conn): Promise<void> {
    for (;;) {
      let message: Message;
      try {
        message = await conn.read();
      } catch (err) {
        // As messages are, the close is held back while paused.
        while (this.paused && !this.connGone) await new Promise<void>((resolve) => { this.wakeReader = resolve; });
        await this.ended(conn, err);
        return;
      }
      // pause() may have come while the read was pending: hold the message until resume().
      while (this.paused && !this.connGone) await new Promise<void>((resolve) => { this.wakeReader = resolve; });
      this.emitMessage(message);
    }
  }

  private emitMessage(message: Message): void {
    const bytes = message.data;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (message.type === 'text') {
      this.emitSafely('message', buffer, false);
      return;
    }
    const kind = this.kind;
    const data = kind === 'nodebuffer' ? buffer
      : kind === 'arraybuffer' ? toArrayBuffer(bytes)
        : kind === 'fragments' ? [buffer]
          : new Blob([bytes as Uint8Array<ArrayBuffer>]);
    this.emitSafely('message', data, true);
  }

  /** Reading ended: a violation is an 'error' (ws's order: error, then close with 1006). */
  private async ended(conn: Conn, err: unknown): Promise<void> {
    if (this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
    const cause = err instanceof CloseError ? err.cause : undefined;
    if (err instanceof CloseError && cause === undefined) this.closeFrameReceived = { code: err.closeCode, reason: err.reason };
    if (cause instanceof ProtocolError) this.emitSafely('error', cause);
    const info = await conn.closed;
    this.state = WebSocket.CLOSED;
    this.clean = info.wasClean;
    // As ws: the code and reason are the peer's close frame's; none received is 1006.
    const received = this.closeFrameReceived;
    this.emitSafely('close', received ? received.code : 1006, Buffer.from(received ? received.reason : ''));
  }

  /** `cb` as the core's write callback: told once the bytes are written, or with the error. */
  private writeCallback(cb: SendCallback): (err?: Error) => void {
    return (err) => this.callBack(cb, err);
  }

  /** Runs a send/ping callback; one that throws is treated as a listener that throws. */
  private callBack(cb: SendCallback, err?: Error): void {
    try {
      cb(err);
    } catch (thrown) {
      this.listenerFailed(thrown);
    }
  }

  /**
   * Emits; a listener that throws does not crash the process (wasmws's rule): the connection
   * closes with 1011 and the error is reported as an 'error' event when someone listens.
   */
  private emitSafely(event: string, ...args: unknown[]): void {
    try {
      if (event === 'error' && this.listenerCount('error') === 0) return;
      this.emit(event, ...args);
    } catch (err) {
      if (event === 'error') this.listenerFailed(undefined);
      else this.listenerFailed(err);
    }
  }

  /** Application code threw: close with 1011, and report it as an 'error' if anyone listens. */
  private listenerFailed(err: unknown): void {
    if (this.conn?.readyState === 'open') void this.conn.close(1011, 'listener failed').catch(() => {});
    if (err !== undefined && this.listenerCount('error') > 0) this.emitSafely('error', err);
  }
}

for (const [name, value] of Object.entries({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer;
}

