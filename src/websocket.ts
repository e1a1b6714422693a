import { Buffer } from 'node:buffer';
import { dial, type DialOptions } from './client';
import type { Conn } from './conn/connection';
import { CloseError, type WebSocketError } from './errors';
import { CloseCode } from './protocol/close-code';
import {
  closeCodeArgument, closeReasonArgument, domError, isBlob, parseProtocols, parseWebSocketUrl, sendArgument, type WebSocketData,
} from './websocket-arguments';
import { WebSocketCloseEvent, WebSocketMessageEvent } from './websocket-events';

export { WebSocketCloseEvent, WebSocketMessageEvent, type WebSocketCloseEventInit } from './websocket-events';

/** How binary messages are surfaced: the HTML values plus Node's Buffer. */
export type BinaryType = 'blob' | 'arraybuffer' | 'nodebuffer';

type EventKind = 'open' | 'message' | 'error' | 'close';
type Listener<E extends Event> = ((this: WebSocket, ev: E) => unknown) | null;
/** An `on<type>` attribute's value and the one listener that calls it. */
interface HandlerSlot {
  fn: (this: WebSocket, ev: Event) => unknown;
  readonly listener: (ev: Event) => void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Bytes the data takes as a message: what bufferedAmount counts. */
function byteSize(data: WebSocketData): number {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8'); // lone surrogates count as U+FFFD's 3
  return isBlob(data) ? data.size : data.byteLength;
}

function ignore(): void {}

/**
 * A WHATWG-compatible WebSocket client (the browser API), so browser code runs unchanged:
 * EventTarget with open/message/error/close, readyState, binaryType, bufferedAmount,
 * protocol, extensions, and the standard's rules for the constructor, send() and close()
 * (https://websockets.spec.whatwg.org/). The third argument takes every dial() option.
 *
 * Nothing it does rejects or throws asynchronously: send() and close() throw only what the
 * standard says they throw, at the call. A listener that throws is reported the way the
 * runtime's EventTarget reports it (Node: an uncaught exception); the socket carries on.
 */
export class WebSocket extends EventTarget {
  /** `readyState` 0: the handshake is under way. */
  static readonly CONNECTING = CONNECTING;
  /** `readyState` 1: open, messages flow. */
  static readonly OPEN = OPEN;
  /** `readyState` 2: the close handshake has begun. */
  static readonly CLOSING = CLOSING;
  /** `readyState` 3: closed. */
  static readonly CLOSED = CLOSED;
  /** `readyState` 0: the handshake is under way. */
  readonly CONNECTING = CONNECTING;
  /** `readyState` 1: open, messages flow. */
  readonly OPEN = OPEN;
  /** `readyState` 2: the close handshake has begun. */
  readonly CLOSING = CLOSING;
  /** `readyState` 3: closed. */
  readonly CLOSED = CLOSED;

  /** The URL, normalized (http: and https: become ws: and wss:). */
  readonly url: string;

  private state = CONNECTING;
  private conn: Conn | null = null;
  private binary: BinaryType = typeof Blob === 'function' ? 'blob' : 'arraybuffer';
  private negotiated = { protocol: '', extensions: '' };
  /** permessage-deflate was agreed: binary sends are copied (see snapshot). */
  private compresses = false;
  private readonly abort = new AbortController();
  private readonly handlers = new Map<EventKind, HandlerSlot>();
  /** Bytes send() discarded because the connection was closing: the standard keeps counting them. */
  private droppedBytes = 0;
  /** Bytes of sends waiting in `inOrder` (not yet with the connection). */
  private inOrderBytes = 0;
  /** Sends waiting behind a Blob being read, so that order is kept; null when none. */
  private inOrder: Promise<void> | null = null;
  /** The peer's close frame, once received (RFC 6455 §7.1.5: its code is the close code). */
  private peerClose: { code: number; reason: string } | null = null;

  constructor(url: string | URL, protocols: string | readonly string[] = [], options: DialOptions = {}) {
    super();
    const parsed = parseWebSocketUrl(url);
    const list = parseProtocols(protocols);
    this.url = parsed.href;
    void this.run(parsed, list, options);
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): number {
    return this.state;
  }

  /** The subprotocol the server chose, or '' (until open). */
  get protocol(): string {
    return this.negotiated.protocol;
  }

  /** The extensions the server agreed to, or '' (until open). */
  get extensions(): string {
    return this.negotiated.extensions;
  }

  /** 'blob', 'arraybuffer' or 'nodebuffer' (default 'blob' where Blob exists). Other values are ignored. */
  get binaryType(): BinaryType {
    return this.binary;
  }
  /** Sets how binary messages are delivered (see the getter). */
  set binaryType(type: BinaryType) {
    if (type === 'blob' || type === 'arraybuffer' || type === 'nodebuffer') this.binary = type;
  }

  /**
   * Bytes queued by send() and not yet written (Blobs from the call on, before they are
   * read), plus bytes send() discarded once closing: the standard keeps counting those.
   */
  get bufferedAmount(): number {
    return (this.conn?.bufferedAmount ?? 0) + this.inOrderBytes + this.droppedBytes;
  }

  /** Called on `open`. */
  get onopen(): Listener<Event> { return this.handler('open'); }
  /** Sets the `open` event handler (see the getter). */
  set onopen(fn: Listener<Event>) { this.setHandler('open', fn); }
  /** Called on each `message`. */
  get onmessage(): Listener<WebSocketMessageEvent> { return this.handler('message'); }
  /** Sets the `message` event handler (see the getter). */
  set onmessage(fn: Listener<WebSocketMessageEvent>) { this.setHandler('message', fn); }
  /** Called on `error` (the connection failed; `close` follows). */
  get onerror(): Listener<Event> { return this.handler('error'); }
  /** Sets the `error` event handler (see the getter). */
  set onerror(fn: Listener<Event>) { this.setHandler('error', fn); }
  /** Called on `close`. */
  get onclose(): Listener<WebSocketCloseEvent> { return this.handler('close'); }
  /** Sets the `close` event handler (see the getter). */
  set onclose(fn: Listener<WebSocketCloseEvent>) { this.setHandler('close', fn); }

  /**
   * Sends a message. Throws InvalidStateError while connecting, TypeError for shared memory.
   * Once closing has started (by either side, even before this object has seen it), the
   * data is discarded and its size added to bufferedAmount, as the standard says.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    const message = sendArgument(data);
    if (this.state === CONNECTING) throw domError('InvalidStateError', 'still connecting');
    const conn = this.conn;
    if (this.state !== OPEN || conn === null || conn.readyState !== 'open') {
      this.droppedBytes += byteSize(message);
      return;
    }
    if (isBlob(message) || this.inOrder !== null) this.sendInOrder(conn, this.snapshot(message));
    else this.transmit(conn, this.snapshot(message as Exclude<WebSocketData, Blob>));
  }

  /**
   * Closes: `code` 1000 or 3000-4999 (else InvalidAccessError), `reason` at most 123 bytes
   * (else SyntaxError). No arguments sends a close frame without a code (the peer sees 1005);
   * a reason without a code sends 1000. While connecting, the connection attempt is failed.
   */
  close(code?: number, reason?: string): void {
    let wireCode = closeCodeArgument(code);
    const text = closeReasonArgument(reason);
    if (this.state >= CLOSING) return;
    if (this.state === CONNECTING) {
      this.state = CLOSING;
      this.abort.abort(domError('AbortError', 'closed before the connection was established'));
      return;
    }
    this.state = CLOSING;
    if (wireCode === null && text !== '') wireCode = CloseCode.Normal;
    const conn = this.conn!;
    // Messages accepted before close() go out before the close frame, Blobs included.
    if (this.inOrder) void this.inOrder.then(() => this.startClosing(conn, wireCode, text));
    else this.startClosing(conn, wireCode, text);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────

  private handler<E extends Event>(type: EventKind): Listener<E> {
    return (this.handlers.get(type)?.fn ?? null) as Listener<E>;
  }

  /** An event handler attribute: its listener joins the list when first set, leaves when set to null. */
  private setHandler(type: EventKind, fn: Listener<never>): void {
    const slot = this.handlers.get(type);
    if (typeof fn !== 'function') {
      if (slot) this.removeEventListener(type, slot.listener);
      this.handlers.delete(type);
    } else if (slot) {
      slot.fn = fn as HandlerSlot['fn'];
    } else {
      const created: HandlerSlot = { fn: fn as HandlerSlot['fn'], listener: (ev) => { created.fn.call(this, ev); } };
      this.handlers.set(type, created);
      this.addEventListener(type, created.listener);
    }
  }

  /**
   * The standard sends the bytes as they were at send(); a compressed message is read later,
   * when its turn to be deflated comes, so its bytes are copied first (the copy costs less
   * than the deflate). Uncompressed bytes are masked into the client's own buffer at once.
   */
  private snapshot<D extends WebSocketData>(data: D): D {
    if (!this.compresses || typeof data === 'string' || isBlob(data)) return data;
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() : (data as ArrayBuffer).slice(0);
    return bytes as D;
  }

  private startClosing(conn: Conn, code: number | null, reason: string): void {
    if (conn.readyState !== 'open') return; // the peer closed first: the core answers it
    try {
      conn.close(code, reason).catch(ignore);
    } catch { /* validated above; a connection closing meanwhile is not the caller's error */ }
  }

  private transmit(conn: Conn, data: string | ArrayBuffer | ArrayBufferView): void {
    let sent: Promise<void>;
    try {
      sent = conn.send(data);
    } catch (err) {
      this.sendFailed(err);
      return;
    }
    sent.catch(this.sendFailed);
  }

  /**
   * A send the connection could not take. Past maxBufferedBytes the standard says to flag the
   * socket full and close the connection (error, then close 1006); anything else means the
   * connection closed meanwhile, and its close event tells.
   */
  private readonly sendFailed = (err: unknown): void => {
    if ((err as WebSocketError | undefined)?.code === 'WS_ERR_BUFFER_FULL') this.conn?.terminate(err as Error);
  };

  /** A Blob's bytes arrive asynchronously: it, and every send after it until it is out, keep their order. */
  private sendInOrder(conn: Conn, data: WebSocketData): void {
    const size = byteSize(data);
    this.inOrderBytes += size;
    const bytes = isBlob(data) ? data.arrayBuffer() : Promise.resolve(data);
    bytes.catch(ignore); // read in parallel; its failure is handled when its turn comes
    const chain: Promise<void> = (this.inOrder ?? Promise.resolve())
      .then(() => bytes)
      .then(
        (payload) => {
          this.inOrderBytes -= size;
          if (conn.readyState === 'open') this.transmit(conn, payload);
          else this.droppedBytes += size;
        },
        (err: unknown) => {
          this.inOrderBytes -= size;
          this.droppedBytes += size;
          conn.terminate(err instanceof Error ? err : new Error(String(err))); // cannot be sent: the standard closes
        },
      )
      .then(() => { if (this.inOrder === chain) this.inOrder = null; });
    this.inOrder = chain;
  }

  private dialSignal(user: AbortSignal | undefined): AbortSignal {
    if (!user) return this.abort.signal;
    if (typeof AbortSignal.any === 'function') return AbortSignal.any([user, this.abort.signal]);
    if (user.aborted) this.abort.abort(user.reason);
    else user.addEventListener('abort', () => this.abort.abort(user.reason), { once: true });
    return this.abort.signal;
  }

  private async run(url: URL, protocols: string[], options: DialOptions): Promise<void> {
    let conn: Conn;
    try {
      conn = await dial(url, { ...options, subprotocols: protocols, signal: this.dialSignal(options.signal) });
    } catch {
      this.fireClose(CloseCode.Abnormal, '', false);
      return;
    }
    this.conn = conn;
    if (this.state === CLOSING) {
      conn.terminate();
    } else {
      this.negotiated = { protocol: conn.subprotocol, extensions: conn.extensions };
      this.compresses = /permessage-deflate/i.test(conn.extensions);
      this.state = OPEN;
      this.dispatchEvent(new Event('open'));
      await this.pump(conn);
    }
    const info = await conn.closed;
    // RFC 6455 §7.1.5: the close code is the one the peer's close frame carried; without
    // one (TCP lost, or we failed the connection) it is 1006, whatever code we sent.
    const received = info.wasClean ? info : this.peerClose;
    this.fireClose(received?.code ?? CloseCode.Abnormal, received?.reason ?? '', info.wasClean);
  }

  /** CLOSED, then `error` when the close was not clean (the standard fails the connection), then `close`. */
  private fireClose(code: number, reason: string, wasClean: boolean): void {
    this.state = CLOSED;
    if (!wasClean) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new WebSocketCloseEvent('close', { code, reason, wasClean }));
  }

  /** Dispatches messages while OPEN (dropping them once close() was called) until the connection closes. */
  private async pump(conn: Conn): Promise<void> {
    const origin = new URL(this.url).origin;
    for (;;) {
      let message;
      try {
        message = await conn.read();
      } catch (err) {
        // The inbox's first error: a clean CloseError is the peer's close frame.
        if (err instanceof CloseError && err.wasClean) this.peerClose = { code: err.closeCode, reason: err.reason };
        if (this.state === OPEN) this.state = CLOSING;
        return;
      }
      if (this.state !== OPEN) continue;
      let data: unknown;
      if (message.type === 'text') data = message.text();
      else if (this.binary === 'nodebuffer') data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
      else if (this.binary === 'blob' && typeof Blob === 'function') data = new Blob([message.data as Uint8Array<ArrayBuffer>]);
      else data = message.data.slice().buffer;
      this.dispatchEvent(new WebSocketMessageEvent('message', { data, origin }));
    }
  }
}
