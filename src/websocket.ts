import { Buffer } from 'node:buffer';
import { dial, type DialOptions } from './client';
import type { Conn } from './conn/connection';
import { CloseError } from './errors';
import { isToken } from './handshake/tokens';
import { CloseCode, MAX_CLOSE_REASON_BYTES } from './protocol/close-code';

/** The event a WebSocket fires when it closes (the HTML standard's CloseEvent). */
export class WebSocketCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** The event a WebSocket fires per message. */
export class WebSocketMessageEvent extends Event {
  readonly data: unknown;
  readonly origin: string;
  constructor(type: string, init: { data: unknown; origin: string }) {
    super(type);
    this.data = init.data;
    this.origin = init.origin;
  }
}

/** How binary messages are surfaced: the HTML values plus Node's Buffer. */
export type BinaryType = 'blob' | 'arraybuffer' | 'nodebuffer';

type Listener<E extends Event> = ((this: WebSocket, ev: E) => unknown) | null;

const encoder = new TextEncoder();

function domError(name: string, message: string): Error {
  return typeof DOMException === 'function' ? new DOMException(message, name) : Object.assign(new Error(message), { name });
}

/**
 * A WHATWG-compatible WebSocket client (the browser API), so browser code runs unchanged:
 * EventTarget with open/message/error/close, readyState, binaryType, bufferedAmount,
 * protocol, extensions, and the HTML standard's rules for send() and close().
 * The third argument takes every dial() option.
 */
export class WebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** The URL, normalized (http: and https: become ws: and wss:). */
  readonly url: string;
  /** 'blob', 'arraybuffer' or 'nodebuffer' (default 'blob' where Blob exists). */
  binaryType: BinaryType = typeof Blob === 'function' ? 'blob' : 'arraybuffer';
  onopen: Listener<Event> = null;
  onmessage: Listener<WebSocketMessageEvent> = null;
  onerror: Listener<Event> = null;
  onclose: Listener<WebSocketCloseEvent> = null;

  private state = 0;
  private conn: Conn | null = null;
  private readonly abort = new AbortController();
  private discardedBytes = 0;
  /** Sends waiting behind a Blob being read, so that order is kept; null when none. */
  private blobsReading: Promise<void> | null = null;

  constructor(url: string | URL, protocols: string | string[] = [], options: DialOptions = {}) {
    super();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw domError('SyntaxError', `invalid URL: ${String(url)}`);
    }
    if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
    else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw domError('SyntaxError', `unsupported scheme ${parsed.protocol}`);
    if (parsed.hash) throw domError('SyntaxError', 'a WebSocket URL has no fragment');
    const list = typeof protocols === 'string' ? [protocols] : protocols;
    if (new Set(list).size !== list.length || list.some((p) => !isToken(p))) throw domError('SyntaxError', 'invalid or duplicate subprotocol');
    this.url = parsed.href;
    for (const type of ['open', 'message', 'error', 'close'] as const) {
      this.addEventListener(type, (ev) => {
        const handler = this[`on${type}`] as Listener<Event>;
        if (typeof handler === 'function') handler.call(this, ev);
      });
    }
    void this.connect(parsed, list, options);
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): number {
    return this.state;
  }

  /** The subprotocol the server chose, or ''. */
  get protocol(): string {
    return this.conn?.subprotocol ?? '';
  }

  /** The extensions the server agreed to, or ''. */
  get extensions(): string {
    return this.conn?.extensions ?? '';
  }

  /** Bytes queued and not yet sent (plus bytes discarded by send() after close, as the standard counts them). */
  get bufferedAmount(): number {
    return (this.conn?.bufferedAmount ?? 0) + this.discardedBytes;
  }

  /** Sends a message. Throws InvalidStateError while connecting; discards data once closing. */
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.state === WebSocket.CONNECTING) throw domError('InvalidStateError', 'still connecting');
    const size = typeof data === 'string' ? encoder.encode(data).length
      : data instanceof ArrayBuffer ? data.byteLength : ArrayBuffer.isView(data) ? data.byteLength : data.size;
    if (this.state !== WebSocket.OPEN || this.conn === null) {
      this.discardedBytes += size;
      return;
    }
    const conn = this.conn;
    const isBlob = typeof Blob === 'function' && data instanceof Blob;
    if (!isBlob && this.blobsReading === null) {
      conn.send(data as string | ArrayBuffer | ArrayBufferView).catch(() => {});
      return;
    }
    // A Blob's bytes arrive asynchronously: it, and every send after it until it is out,
    // go through a chain so that messages leave in the order send() was called.
    const bytes = isBlob ? (data as Blob).arrayBuffer() : Promise.resolve(data as string | ArrayBuffer | ArrayBufferView);
    const chain: Promise<void> = (this.blobsReading ?? Promise.resolve())
      .then(() => bytes)
      .then((payload) => { if (conn.readyState === 'open') return conn.send(payload); })
      .catch(() => {})
      .then(() => { if (this.blobsReading === chain) this.blobsReading = null; });
    this.blobsReading = chain;
  }

  /** Closes with `code` (1000 or 3000-4999) and `reason` (at most 123 bytes). */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== CloseCode.Normal && !(code >= 3000 && code <= 4999)) {
      throw domError('InvalidAccessError', `close code ${code} is not 1000 or 3000-4999`);
    }
    if (reason !== undefined && encoder.encode(reason).length > MAX_CLOSE_REASON_BYTES) {
      throw domError('SyntaxError', 'close reason longer than 123 bytes');
    }
    if (this.state >= WebSocket.CLOSING) return;
    if (this.state === WebSocket.CONNECTING) {
      this.state = WebSocket.CLOSING;
      this.abort.abort(new Error('closed before the connection was established'));
      return;
    }
    this.state = WebSocket.CLOSING;
    void this.conn!.close(code, reason ?? '').catch(() => {});
  }

  private async connect(url: URL, protocols: string[], options: DialOptions): Promise<void> {
    try {
      this.conn = await dial(url, { ...options, subprotocols: protocols, signal: this.abort.signal });
    } catch {
      this.state = WebSocket.CLOSED;
      this.dispatchEvent(new Event('error'));
      this.dispatchEvent(new WebSocketCloseEvent('close', { code: CloseCode.Abnormal, reason: '', wasClean: false }));
      return;
    }
    if (this.state === WebSocket.CLOSING) {
      this.conn.terminate();
    } else {
      this.state = WebSocket.OPEN;
      this.dispatchEvent(new Event('open'));
      await this.pump(this.conn);
    }
    const info = await this.conn.closed;
    this.state = WebSocket.CLOSED;
    if (!info.wasClean) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new WebSocketCloseEvent('close', info));
  }

  private async pump(conn: Conn): Promise<void> {
    const origin = new URL(this.url).origin;
    for (;;) {
      let message;
      try {
        message = await conn.read();
      } catch (err) {
        if (err instanceof CloseError && this.state === WebSocket.OPEN) this.state = WebSocket.CLOSING;
        return;
      }
      let data: unknown;
      if (message.type === 'text') data = message.text();
      else if (this.binaryType === 'nodebuffer') data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
      else if (this.binaryType === 'blob' && typeof Blob === 'function') data = new Blob([message.data as Uint8Array<ArrayBuffer>]);
      else data = message.data.slice().buffer;
      this.dispatchEvent(new WebSocketMessageEvent('message', { data, origin }));
    }
  }
}
