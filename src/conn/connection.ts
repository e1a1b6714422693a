import type { FrameCodec } from '../codec/codec';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../codec/constants';
import { selectCodec } from '../codec/select';
import {
  AlreadyClosedError, CloseError, ProtocolError, TimeoutError, WebSocketError,
} from '../errors';
import { encodeClosePayload, parseClosePayload } from '../frame/close';
import { Message, messageType } from '../frame/message';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import { FrameReader, type Role } from '../frame/reader';
import { FrameWriter } from '../frame/writer';
import { resolveConnOptions, type ConnOptions, type ResolvedConnOptions } from '../options';
import { CloseCode, MAX_CLOSE_REASON_BYTES } from '../protocol/close-code';
import { MAX_CONTROL_PAYLOAD_BYTES } from '../protocol/limits';
import { defer } from './defer';
import { Inbox, type FlowControl } from './inbox';
import { InflatePipeline } from './inflate-pipeline';
import type { MessageReader } from './message-reader';
import type { MessageWriter } from './message-writer';
import { Outbox, type WritableSocket } from './outbox';
import { Sender, type Sendable, type SendOptions } from './sender';
import { Keepalive } from './keepalive';

/** How a connection ended. */
export interface CloseInfo {
  /** The close code received (or sent, when we failed the connection); 1006 if none was exchanged. */
  code: number;
  reason: string;
  /** True when both close frames were exchanged before TCP closed. RFC 6455 §7.1.5. */
  wasClean: boolean;
}

/** The socket a Conn runs on: node:net Socket and tls.TLSSocket fit. */
export interface ConnSocket extends WritableSocket {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'close' | 'end' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  end(): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
  readonly remoteAddress?: string;
  readonly destroyed: boolean;
}

/** The upgrade request as the server saw it. */
export interface UpgradeRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the handshake hands to a new Conn. */
export interface ConnInit {
  socket: ConnSocket;
  role: Role;
  options?: ConnOptions;
  /** Bytes that arrived after the handshake, before the Conn existed. */
  head?: Uint8Array;
  subprotocol?: string;
  extensions?: string;
  request?: UpgradeRequest;
  /** permessage-deflate, when the handshake agreed to it. */
  deflate?: PerMessageDeflate;
}

type State = 'open' | 'closing' | 'closed';

interface PendingPing {
  payload: Uint8Array;
  sentAt: number;
  resolve: (rttMs: number) => void;
  reject: (err: Error) => void;
}

const encoder = new TextEncoder();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reading is paused while any holder (unread messages, pending inflation) wants it paused,
 * and resumes only when none does: one holder's resume must not undo another's pause.
 */
function readGate(socket: ConnSocket, isClosed: () => boolean): (holder: string) => FlowControl {
  const holders = new Set<string>();
  return (holder) => ({
    pause: () => {
      if (holders.size === 0) socket.pause();
      holders.add(holder);
    },
    resume: () => {
      if (holders.delete(holder) && holders.size === 0 && !isClosed()) socket.resume();
    },
  });
}

/** Cuts a reason to at most 123 UTF-8 bytes without splitting a character. */
function fitReason(reason: string): string {
  let bytes = encoder.encode(reason);
  while (bytes.length > MAX_CLOSE_REASON_BYTES) {
    reason = reason.slice(0, -1);
    bytes = encoder.encode(reason);
  }
  return reason;
}

/**
 * A WebSocket connection, the same type on both ends (gorilla's Conn).
 *
 * Read with `read()`, `for await (const msg of conn)` or `nextReader()`; write with `send()`
 * (await it for backpressure) or `nextWriter()`; `ping()`, `close()`, `closed`.
 *
 *   close handshake (RFC 6455 §7):
 *
 *     we close:    send Close ──► peer echoes Close ──► server ends TCP (client waits for it)
 *     peer closes: receive Close ──► echo Close ──► server ends TCP (client waits for it)
 *     failure:     send Close(1002/1007/1009…) ──► stop reading ──► TCP closed
 *     no answer within closeTimeoutMs: TCP destroyed, wasClean = false
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
  /**
   * The peer's address, as the socket reports it. Read on first use (it costs a syscall per
   * connection) and kept; read it while the connection is open.
   */
  get remoteAddress(): string | undefined {
    return (this.peerAddress ??= this.socket.remoteAddress);
  }
  /** Resolves once the connection is closed, however it ended. Never rejects. */
  readonly closed: Promise<CloseInfo>;
  /** Called with each ping's payload (the pong is sent automatically). */
  onPing: ((payload: Uint8Array) => void) | undefined;
  /** Called with each pong's payload. */
  onPong: ((payload: Uint8Array) => void) | undefined;

  private readonly socket: ConnSocket;
  private peerAddress: string | undefined;
  private readonly options: ResolvedConnOptions;
  private readonly codec: FrameCodec;
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private readonly inbox: Inbox;
  private readonly outbox: Outbox;
  private readonly keepalive: Keepalive;
  private state: State = 'open';
  private closeSent = false;
  private closeReceived: { code: number; reason: string } | null = null;
  private failure: { code: number; reason: string; error: Error } | null = null;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private pings: PendingPing[] = [];
  private resolveClosed!: (info: CloseInfo) => void;
  private readonly deflate: PerMessageDeflate | undefined;
  private readonly inflater: InflatePipeline | undefined;
  private readonly sender: Sender;

  constructor(init: ConnInit) {
    this.role = init.role;
    this.socket = init.socket;
    this.subprotocol = init.subprotocol ?? '';
    this.extensions = init.extensions ?? '';
    this.request = init.request;
    this.options = resolveConnOptions(init.options ?? {}, init.role);
    this.codec = selectCodec(this.options.codec);
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    this.deflate = init.deflate;
    this.reader = new FrameReader({
      role: this.role, codec: this.codec, allowRsv1: this.deflate !== undefined,
      maxMessageBytes: this.options.maxMessageBytes, maxFragments: this.options.maxFragments,
    }, {
      onMessage: (opcode, data, compressed) => {
        if (this.inflater) this.inflater.push(opcode, data, compressed);
        else this.inbox.deliver(new Message(messageType(opcode), data));
      },
      // Compressed messages are inflated whole (bounded by maxMessageBytes), then delivered.
      onMessageStart: (opcode, compressed) => (compressed ? undefined : this.inbox.startMessage(messageType(opcode))),
      onControl: (opcode, payload) => this.onControl(opcode, payload),
      onError: (error) => this.fail(error.closeCode, error.message, error),
    });
    this.writer = new FrameWriter({ role: this.role, codec: this.codec, maxFrameBytes: this.options.maxFrameBytes });
    const gate = readGate(this.socket, () => this.state === 'closed');
    this.inbox = new Inbox(this.options.maxReadBufferBytes, gate('inbox'));
    this.outbox = new Outbox(this.socket);
    const conn = this;
    this.sender = new Sender(this.writer, this.outbox, this.deflate, this.options, {
      get isOpen() { return conn.state === 'open'; },
      fail: (code, reason, error) => this.fail(code, reason, error),
    });
    this.inflater = this.deflate && new InflatePipeline(
      this.deflate, this.codec,
      { maxMessageBytes: this.options.maxMessageBytes, maxPendingBytes: this.options.maxReadBufferBytes },
      (message) => this.inbox.deliver(message),
      () => this.inbox.whenRoom(),
      (error) => this.fail(error.closeCode, error.message, error),
      gate('inflate'),
    );
    this.keepalive = new Keepalive(this.options, {
      ping: () => this.sendControl(OP_PING, new Uint8Array(0)),
      timedOut: () => this.terminate(new TimeoutError(`no pong within ${this.options.pongTimeoutMs} ms`)),
      idle: () => { if (this.state === 'open') void this.close(CloseCode.GoingAway, 'idle timeout').catch(() => {}); },
    });

    this.socket.setNoDelay?.(true);
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (err) => { if (!this.failure) this.failure = { code: CloseCode.Abnormal, reason: err.message, error: err }; });
    this.socket.on('close', () => this.finish());
    if (init.head && init.head.length > 0) this.onData(init.head);
    this.socket.resume(); // the client handshake leaves the socket paused after the 101
  }

  // ── reading ───────────────────────────────────────────────────────────────────────

  /**
   * The next message. Rejects with a CloseError once the connection is closed and every
   * message received before the close has been read.
   */
  read(): Promise<Message> {
    return this.inbox.read();
  }

  /** The next message as a stream of chunks, consumed as it arrives. */
  nextReader(): Promise<MessageReader> {
    return this.inbox.nextReader();
  }

  /** Iterates messages; ends quietly on a normal close (1000, 1001, 1005), throws a CloseError otherwise. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      let message: Message;
      try {
        message = await this.read();
      } catch (err) {
        if (err instanceof CloseError && err.wasClean && (err.closeCode === CloseCode.Normal
          || err.closeCode === CloseCode.GoingAway || err.closeCode === CloseCode.NoStatus)) return;
        throw err;
      }
      yield message;
    }
  }

  // ── writing ───────────────────────────────────────────────────────────────────────

  /**
   * Sends a message: strings as text, bytes as binary (unless `binary` says otherwise), or a
   * PreparedMessage. Resolves when the frame is with the socket and the socket is under its
   * high-water mark. Throws at once when the connection is closing (misuse).
   */
  send(data: Sendable, options: SendOptions = {}): Promise<void> {
    this.checkOpen();
    return this.sender.send(data, options);
  }

  /** Starts a message written in fragments; other sends wait until it is closed. */
  nextWriter(type: 'text' | 'binary' = 'binary'): Promise<MessageWriter> {
    this.checkOpen();
    return this.sender.nextWriter(type === 'text' ? OP_TEXT : OP_BINARY);
  }

  /** Sends a ping; resolves with the round-trip time in ms when its pong arrives. */
  ping(data: Uint8Array | string = new Uint8Array(0)): Promise<number> {
    this.checkOpen();
    const payload = typeof data === 'string' ? encoder.encode(data) : data;
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `ping payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD_BYTES}`);
    }
    return new Promise((resolve, reject) => {
      this.pings.push({ payload: payload.slice(), sentAt: performance.now(), resolve, reject });
      this.sendControl(OP_PING, payload);
    });
  }

  /** Bytes queued for the socket and not yet written by it. */
  get bufferedAmount(): number {
    return this.outbox.bufferedAmount;
  }

  /** 'open', 'closing' or 'closed'. */
  get readyState(): State {
    return this.state;
  }

  // ── closing ───────────────────────────────────────────────────────────────────────

  /**
   * Starts the close handshake (code 1000 by default) and resolves when the connection is
   * closed. Throws at once on a code or reason that may not be sent. Idempotent.
   */
  close(code: number = CloseCode.Normal, reason = ''): Promise<CloseInfo> {
    const payload = encodeClosePayload(code, reason);
    if (this.state !== 'open') return this.closed;
    this.startClosing(payload);
    return this.closed;
  }

  /** Ends the TCP connection at once, with no close handshake. */
  terminate(error: Error = new AlreadyClosedError('terminated')): void {
    if (!this.failure) this.failure = { code: CloseCode.Abnormal, reason: error.message, error };
    this.socket.destroy();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────

  private checkOpen(): void {
    if (this.state !== 'open') throw new AlreadyClosedError();
  }

  private sendControl(opcode: number, payload: Uint8Array): void {
    if (this.closeSent || this.state === 'closed') return;
    const frames: Uint8Array[] = [];
    this.writer.frame(opcode, payload, true, false, frames);
    this.outbox.enqueue(frames);
  }

  private onData(chunk: Uint8Array): void {
    this.keepalive.received();
    // Messages are views of the chunk: make them plain Uint8Arrays, not Buffers (whose
    // slice() does not copy), the same in every runtime.
    this.reader.push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  private onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === OP_PING) {
      this.onPing?.(payload);
      if (!this.closeSent && this.state !== 'closed') {
        const frames: Uint8Array[] = [];
        this.writer.frame(OP_PONG, payload, true, false, frames);
        this.outbox.enqueuePong(frames[0]);
      }
    } else if (opcode === OP_PONG) {
      this.settlePings(payload);
      this.onPong?.(payload);
    } else if (opcode === OP_CLOSE) {
      const parsed = parseClosePayload(payload, this.codec);
      if (parsed instanceof ProtocolError) this.fail(parsed.closeCode, parsed.message, parsed);
      else this.onCloseFrame(parsed.code, parsed.reason);
    }
  }

  /** Resolves the ping this pong answers, and every older one (a peer may answer only the latest). */
  private settlePings(payload: Uint8Array): void {
    const index = this.pings.findIndex((p) => sameBytes(p.payload, payload));
    if (index < 0) return;
    const now = performance.now();
    for (const ping of this.pings.splice(0, index + 1)) ping.resolve(now - ping.sentAt);
  }

  private onCloseFrame(code: number, reason: string): void {
    this.reader.halt();
    this.closeReceived = { code, reason };
    if (!this.closeSent) {
      // Echo the code (RFC 6455 §5.5.1); no code received means an empty close back.
      this.startClosing(code === CloseCode.NoStatus ? new Uint8Array(0) : encodeClosePayload(code));
    }
    this.inbox.fail(new CloseError(code, reason, true));
    this.endTcpIfDone();
  }

  /**
   * Fails the connection (RFC 6455 §7.1.7): nothing more is read, then a close frame with
   * `code` goes out and TCP is closed. The close waits one turn of the event loop, so that
   * replies the application makes at once to the messages received before the bad frame
   * still go out ahead of it (as they would in gorilla's read-then-reply loop).
   */
  private fail(code: number, reason: string, error: Error): void {
    this.reader.halt();
    if (this.failure) return;
    this.failure = { code, reason, error };
    defer(() => this.failNow(code, reason, error));
  }

  private failNow(code: number, reason: string, error: Error): void {
    this.inbox.fail(new CloseError(code, reason, false, { cause: error }));
    if (this.state === 'closed') return;
    if (!this.closeSent) this.startClosing(encodeClosePayload(code, fitReason(reason)));
    // Nothing more will be read, so no close frame will be waited for: end the TCP side now.
    this.outbox.flush();
    if (this.role === 'server') this.socket.end();
    else this.armCloseTimer(Math.min(this.options.closeTimeoutMs, 1000));
  }

  private startClosing(payload: Uint8Array): void {
    const frames: Uint8Array[] = [];
    this.writer.frame(OP_CLOSE, payload, true, false, frames);
    this.outbox.enqueue(frames);
    this.closeSent = true;
    if (this.state === 'open') this.state = 'closing';
    this.keepalive.stop();
    this.armCloseTimer(this.options.closeTimeoutMs);
    this.sender.abandon(); // each waiting send rejects: not open
  }

  private armCloseTimer(ms: number): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.socket.destroy(), ms);
  }

  /** The server ends TCP once both close frames are exchanged (RFC 6455 §7.1.1). */
  private endTcpIfDone(): void {
    if (!this.closeSent || !this.closeReceived) return;
    this.outbox.flush();
    if (this.role === 'server') this.socket.end();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.closeTimer);
    this.keepalive.stop();
    this.reader.halt();
    const info: CloseInfo = this.closeReceived && this.closeSent && !this.failure
      ? { code: this.closeReceived.code, reason: this.closeReceived.reason, wasClean: true }
      : this.failure
        ? { code: this.failure.code, reason: this.failure.reason, wasClean: false }
        : { code: CloseCode.Abnormal, reason: '', wasClean: false };
    const error = new CloseError(info.code, info.reason, info.wasClean, this.failure ? { cause: this.failure.error } : undefined);
    this.inbox.fail(error);
    this.outbox.close(error);
    this.inflater?.close();
    this.deflate?.close();
    for (const ping of this.pings.splice(0)) ping.reject(error);
    this.sender.abandon();
    this.resolveClosed(info);
  }
}
