import type { FrameCodec } from '../codec/codec';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../codec/constants';
import { selectCodec } from '../codec/select';
import { AlreadyClosedError, CloseError, ProtocolError, TimeoutError, WebSocketError } from '../errors';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import type { MessageSink } from '../frame/assembler';
import { encodeClosePayload, fitCloseReason, parseClosePayload } from '../frame/close';
import { Message, messageType } from '../frame/message';
import { FrameReader, type FrameHandler, type Role } from '../frame/reader';
import { FrameWriter } from '../frame/writer';
import { resolveConnOptions, type ConnOptions, type ResolvedConnOptions } from '../options';
import { CloseCode } from '../protocol/close-code';
import { MAX_CONTROL_PAYLOAD_BYTES } from '../protocol/limits';
import type { CompletionHost, WriteCallback } from './completions';
import { defer } from './defer';
import { Inbox, type FlowControl } from './inbox';
import { InflatePipeline } from './inflate-pipeline';
import { Keepalive, needsKeepalive, type KeepaliveActions } from './keepalive';
import { callListener } from './listener';
import { PendingPings } from './pings';
import type { MessageReader } from './message-reader';
import type { MessageWriter } from './message-writer';
import { handled, Outbox, type WritableSocket } from './outbox';
import { Sender, type Sendable, type SenderHost, type SendOptions } from './sender';
import type { Conn } from './connection';

/** How a connection ended. */
export interface CloseInfo {
  /** The close code received (or sent, when we failed the connection); 1006 if none was exchanged. */
  code: number;
  /** The close reason that went with the code. */
  reason: string;
  /** True when both close frames were exchanged before TCP closed. RFC 6455 §7.1.5. */
  wasClean: boolean;
}

/** The socket a Conn runs on: node:net Socket and tls.TLSSocket fit. */
export interface ConnSocket extends WritableSocket {
  /** Each chunk read from the socket. */
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  /** The socket closed (`close`), the peer's FIN arrived (`end`), or the write buffer drained (`drain`). */
  on(event: 'close' | 'end' | 'drain', listener: () => void): unknown;
  /** A socket error; `close` follows. */
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Ends our half of the connection (TCP FIN) after what is written. */
  end(): unknown;
  /** Closes the socket at once. */
  destroy(): unknown;
  /** Stops reading (backpressure): no `data` until resume(). */
  pause(): unknown;
  /** Reads again after pause(). */
  resume(): unknown;
  /** Turns Nagle's algorithm off (node:net); called when present. */
  setNoDelay?(noDelay?: boolean): unknown;
  /** The peer's address, when the socket knows it. */
  readonly remoteAddress?: string | undefined;
  /** True once the socket is closed. */
  readonly destroyed: boolean;
  /** The peer's FIN was read (node:net); checked when a Conn is made on a socket. */
  readonly readableEnded?: boolean;
  /** False once our side of the socket has ended; checked when a Conn is made on it. */
  readonly writable?: boolean;
}

type State = 'open' | 'closing' | 'closed';

/** What the core needs to start (a Conn's ConnInit fits). */
export interface CoreInit {
  socket: ConnSocket;
  role: Role;
  options?: ConnOptions;
  head?: Uint8Array;
  deflate?: PerMessageDeflate;
  /** Told once, with the owning Conn, when the connection is closed. */
  onClosed?: (owner: Conn) => void;
}

const encoder = new TextEncoder();

/** The FlowControl holder bit of Conn.pauseReading() (the inbox's is HOLDER_INBOX). */
const HOLDER_APP = 2;

/** Where a socket's listeners find their connection: one set of listener functions serves all. */
const kCore = Symbol('wasmws.core');
type CoreSocket = ConnSocket & { [kCore]: ConnCore };

function onSocketData(this: CoreSocket, chunk: Uint8Array): void {
  this[kCore].onData(chunk);
}
function onSocketError(this: CoreSocket, err: Error): void {
  this[kCore].onSocketError(err);
}
function onSocketClose(this: CoreSocket): void {
  this[kCore].finish();
}
/** The peer ended TCP: see onPeerEnd. */
function onSocketEnd(this: CoreSocket): void {
  this[kCore].onPeerEnd();
}

/**
 * The protocol state machine behind a Conn: frames in and out, control frames, the close
 * handshake, flow control. It is its parts' one listener — frame reader, keepalive, sender,
 * socket — through methods rather than closures, because an idle connection should cost
 * little more than its socket (thousands of them sit in a chat server).
 *
 *   close handshake (RFC 6455 §7):
 *
 *     we close:    send Close ──► peer echoes Close ──► server ends TCP (client waits for it)
 *     peer closes: receive Close ──► echo Close ──► server ends TCP (client waits for it)
 *     failure:     send Close(1002/1007/1009…) ──► stop reading ──► TCP closed
 *     no answer within closeTimeoutMs: TCP destroyed, wasClean = false
 */
export class ConnCore implements FrameHandler, KeepaliveActions, SenderHost, FlowControl, CompletionHost {
  onPing: ((payload: Uint8Array) => void) | undefined;
  onPong: ((payload: Uint8Array) => void) | undefined;
  readonly socket: ConnSocket;
  readonly inbox: Inbox;
  private readonly role: Role;
  private readonly options: ResolvedConnOptions;
  private readonly codec: FrameCodec;
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private readonly outbox: Outbox;
  private readonly sender: Sender;
  private readonly keepalive: Keepalive | undefined;
  private readonly deflate: PerMessageDeflate | undefined;
  private readonly inflater: InflatePipeline | undefined;
  private readonly onClosed: ((owner: Conn) => void) | undefined;
  private state: State = 'open';
  /** Our close frame is queued (nothing more may be sent); closeWritten: it is with the socket. */
  private closeSent = false;
  /** The peer ended its half while our close echo was pending (see onPeerEnd). */
  private peerEnded = false;
  private closeWritten = false;
  private closeReceived: { code: number; reason: string } | null = null;
  private failure: { code: number; reason: string; error: Error } | null = null;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private pings: PendingPings | null = null;
  /** Bits of the holders that want reading paused (see FlowControl). */
  private readPausedBy = 0;
  private closeInfo: CloseInfo | null = null;
  private closedPromise: Promise<CloseInfo> | null = null;
  private resolveClosed: ((info: CloseInfo) => void) | null = null;

  constructor(init: CoreInit, private readonly owner: Conn) {
    this.role = init.role;
    this.socket = init.socket;
    this.onClosed = init.onClosed;
    this.options = resolveConnOptions(init.options ?? {}, init.role);
    this.codec = selectCodec(this.options.codec);
    this.deflate = init.deflate;
    this.reader = new FrameReader({
      role: this.role, codec: this.codec, allowRsv1: this.deflate !== undefined,
      maxMessageBytes: this.options.maxMessageBytes, maxFragments: this.options.maxFragments,
    }, this);
    this.writer = new FrameWriter({ role: this.role, codec: this.codec, maxFrameBytes: this.options.maxFrameBytes });
    this.inbox = new Inbox(this.options.maxReadBufferBytes, this);
    this.outbox = new Outbox(this.socket, this);
    this.sender = new Sender(this.writer, this.outbox, this.deflate, this.options, this);
    this.inflater = this.deflate && new InflatePipeline(
      this.deflate, this.codec, this.options.maxMessageBytes, this.inbox,
      (error) => this.fail(error.closeCode, error.message, error),
    );
    this.keepalive = needsKeepalive(this.options) ? new Keepalive(this.options, this) : undefined;

    const socket = this.socket as CoreSocket;
    socket[kCore] = this;
    socket.setNoDelay?.(true);
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
    // Dead already (the client hung up while upgrade() awaited): 'end'/'close' came before us.
    if (socket.destroyed) defer(() => this.finish());
    else if (socket.readableEnded || socket.writable === false) defer(() => this.onPeerEnd());
    if (init.head && init.head.length > 0) this.onData(init.head);
    // The client handshake leaves the socket paused after the 101; the head may have filled
    // the read buffer already, and then it stays paused.
    if (this.readPausedBy === 0) socket.resume();
  }

  // ── the Conn's operations ─────────────────────────────────────────────────────────

  read(): Promise<Message> {
    return this.inbox.read();
  }

  nextReader(): Promise<MessageReader> {
    return this.inbox.nextReader();
  }

  /** Rejects (never throws) once close() was called. */
  send(data: Sendable, options: SendOptions, done?: WriteCallback): Promise<void> {
    return this.sender.send(data, options, done);
  }

  nextWriter(type: 'text' | 'binary'): Promise<MessageWriter> {
    return this.sender.nextWriter(type === 'text' ? OP_TEXT : OP_BINARY);
  }

  /** nextWriter() at once; throws once closing. */
  openWriter(type: 'text' | 'binary'): MessageWriter {
    this.checkOpen();
    return this.sender.openWriter(type === 'text' ? OP_TEXT : OP_BINARY);
  }

  /** Rejects (never throws) once closing, marked handled: a heartbeat nobody awaits never crashes the process. A payload over 125 bytes throws (misuse). */
  ping(data: Uint8Array | string, done?: WriteCallback): Promise<number> {
    if (this.state !== 'open') {
      const error = new AlreadyClosedError();
      void this.outbox.refuse(error, done);
      return handled(Promise.reject(error));
    }
    const payload = typeof data === 'string' ? encoder.encode(data) : data;
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `ping payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD_BYTES}`);
    }
    const { sent, rtt } = (this.pings ??= new PendingPings(this.options.pongTimeoutMs)).add(payload);
    if (sent) this.sendControl(OP_PING, payload, done);
    else if (done) rtt.then(undefined, (error: Error) => { void this.outbox.refuse(error, done); });
    return handled(rtt);
  }

  pong(payload: Uint8Array, done?: WriteCallback): void {
    this.checkOpen();
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `pong payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD_BYTES}`);
    this.sendControl(OP_PONG, payload, done);
  }

  get bufferedAmount(): number {
    return this.outbox.bufferedAmount;
  }

  get readyState(): State {
    return this.state;
  }

  /** Made on first use: most connections are never asked how they closed. */
  get closed(): Promise<CloseInfo> {
    return this.closedPromise ??= this.closeInfo
      ? Promise.resolve(this.closeInfo)
      : new Promise((resolve) => { this.resolveClosed = resolve; });
  }

  close(code: number | undefined, reason: string): Promise<CloseInfo> {
    const payload = encodeClosePayload(code, reason);
    // A failure already decided (its close frame goes out next turn) keeps its own code, and
    // a close received and about to be echoed keeps the peer's.
    if (this.state === 'open' && !this.failure && !this.closeReceived) this.startClosing(payload);
    return this.closed;
  }

  terminate(error: Error = new AlreadyClosedError('terminated')): void {
    if (!this.failure) this.failure = { code: CloseCode.Abnormal, reason: error.message, error };
    // Frames already encoded go first (as ws's synchronous writes would): a send() resolved
    // under the high-water mark is only queued until the end of the turn. What is still
    // compressing is dropped.
    if (!this.socket.destroyed) this.outbox.flush();
    this.socket.destroy();
    this.finish(); // now, not at the socket's 'close': queued sends reject rather than "write" to a dead socket
  }

  // ── what the parts report (FrameHandler, KeepaliveActions, SenderHost, FlowControl) ──

  onMessage(opcode: number, data: Uint8Array, compressed: boolean): void {
    // A compressed message takes its place in the inbox now, and is filled once inflated.
    if (compressed && this.inflater) this.inflater.push(opcode, data);
    else this.inbox.deliver(new Message(messageType(opcode), data));
  }

  /** Compressed messages are inflated whole (bounded by maxMessageBytes), then delivered. */
  onMessageStart(opcode: number, compressed: boolean): MessageSink | undefined {
    return compressed ? undefined : this.inbox.startMessage(messageType(opcode));
  }

  /** `payload` is the reader's own copy (its buffer holds nothing else): the user may keep it. */
  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === OP_PING) {
      // The pong is queued first: a listener that throws cannot keep it from going out, and
      // a listener changing the payload cannot change it.
      if (this.options.autoPong && !this.closeSent && this.state !== 'closed') {
        const frames: Uint8Array[] = [];
        this.writer.frame(OP_PONG, payload, true, false, frames);
        this.outbox.enqueuePong(frames[0]);
      }
      if (this.onPing) callListener(this.onPing, [payload], (e) => this.listenerFailed('onPing', e));
    } else if (opcode === OP_PONG) {
      this.pings?.settle(payload);
      if (this.onPong) callListener(this.onPong, [payload], (e) => this.listenerFailed('onPong', e));
    } else if (opcode === OP_CLOSE) {
      const parsed = parseClosePayload(payload, this.codec);
      if (parsed instanceof ProtocolError) this.fail(parsed.closeCode, parsed.message, parsed);
      else this.onCloseFrame(parsed.code, parsed.reason);
    }
  }

  onError(error: ProtocolError): void {
    this.fail(error.closeCode, error.message, error);
  }

  sendKeepalivePing(): void {
    this.sendControl(OP_PING, new Uint8Array(0));
  }

  pongTimedOut(): void {
    this.terminate(new TimeoutError(`no pong within ${this.options.pongTimeoutMs} ms`));
  }

  idleTimedOut(): void {
    if (this.state === 'open') void this.close(CloseCode.GoingAway, 'idle timeout').catch(() => {});
  }

  get isReadingPaused(): boolean {
    return this.readPausedBy !== 0;
  }

  /** The application holds reading back: the socket is paused and no message is handed out until resumed. */
  get isPausedByApp(): boolean {
    return (this.readPausedBy & HOLDER_APP) !== 0;
  }

  pauseByApp(): void {
    if (this.state === 'closed') return;
    this.inbox.pauseDelivery();
    this.pauseReading(HOLDER_APP);
  }

  resumeByApp(): void {
    this.resumeReading(HOLDER_APP);
    this.inbox.resumeDelivery();
  }

  /** A write callback threw or rejected: 1011, as for onPing. */
  writeCallbackFailed(error: Error): void {
    this.listenerFailed('a write callback', error);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  pauseReading(holder: number): void {
    if (this.readPausedBy === 0) this.socket.pause();
    this.readPausedBy |= holder;
  }

  resumeReading(holder: number): void {
    if ((this.readPausedBy & holder) === 0) return;
    this.readPausedBy &= ~holder;
    if (this.readPausedBy === 0 && this.state !== 'closed') this.socket.resume();
  }

  /**
   * Fails the connection (RFC 6455 §7.1.7): nothing more is read, then a close frame with
   * `code` goes out and TCP is closed. The close waits one turn of the event loop, so that
   * replies the application makes at once to the messages received before the bad frame
   * still go out ahead of it (as they would in gorilla's read-then-reply loop).
   */
  fail(code: number, reason: string, error: Error): void {
    this.reader.halt();
    if (this.failure) return;
    this.failure = { code, reason, error };
    defer(() => this.failNow(code, reason, error));
  }

  // ── socket events ─────────────────────────────────────────────────────────────────

  onData(chunk: Uint8Array): void {
    this.keepalive?.received();
    // Messages are views of the chunk: make them plain Uint8Arrays, not Buffers (whose
    // slice() does not copy), the same in every runtime.
    this.reader.push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /**
   * The peer's FIN: without a close frame, an abnormal closure (1006, RFC 6455 §7.1.5). Our
   * half ends too: node:http sockets are allowHalfOpen, and would otherwise stay open for good.
   */
  onPeerEnd(): void {
    this.reader.halt();
    // A Close came and its echo waits a turn (onCloseFrame): the echo goes out first, then
    // our end. Over HTTP/2 a peer may send END_STREAM right after its Close (Chromium does).
    if (this.closeReceived && !this.closeSent) {
      this.peerEnded = true;
      return;
    }
    this.outbox.flush();
    this.socket.end();
  }

  onSocketError(err: Error): void {
    if (!this.failure) this.failure = { code: CloseCode.Abnormal, reason: err.message, error: err };
    this.finish(); // the socket is destroyed: what is still queued will never be written
  }

  finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.closeTimer);
    this.keepalive?.stop();
    this.reader.halt();
    // Clean only when both close frames were exchanged (RFC 6455 §7.1.5): ours written, not
    // merely queued (behind an abandoned writer it may never go out).
    const info: CloseInfo = this.closeReceived && this.closeWritten && !this.failure
      ? { code: this.closeReceived.code, reason: this.closeReceived.reason, wasClean: true }
      : this.failure
        ? { code: this.failure.code, reason: this.failure.reason, wasClean: false }
        : { code: CloseCode.Abnormal, reason: '', wasClean: false };
    const error = new CloseError(info.code, info.reason, info.wasClean, this.failure ? { cause: this.failure.error } : undefined);
    this.inbox.fail(error);
    // As ws: once the connection is gone, what pauseReading() held is delivered, then the close.
    this.readPausedBy &= ~HOLDER_APP;
    this.inbox.resumeDelivery();
    this.outbox.close(error);
    // Messages received before the close are still inflating: zlib is freed once they are in.
    if (this.inflater) this.inflater.whenIdle(() => this.deflate!.close());
    else this.deflate?.close();
    this.pings?.rejectAll(error);
    this.closeInfo = info;
    this.resolveClosed?.(info);
    this.onClosed?.(this.owner);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────

  private checkOpen(): void {
    if (this.state !== 'open') throw new AlreadyClosedError();
  }

  private sendControl(opcode: number, payload: Uint8Array, done?: WriteCallback): void {
    if (this.closeSent || this.state === 'closed') {
      if (done) void this.outbox.refuse(new AlreadyClosedError(), done);
      return;
    }
    const frames: Uint8Array[] = [];
    this.writer.frame(opcode, payload, true, false, frames);
    this.outbox.enqueueControl(frames, done);
  }

  /** onPing/onPong threw or rejected: 1011, the error the cause (gorilla's ping handler rule). */
  private listenerFailed(name: string, error: Error): void {
    this.fail(CloseCode.InternalError, `${name} failed`, error);
  }

  private onCloseFrame(code: number, reason: string): void {
    this.reader.halt();
    this.closeReceived = { code, reason };
    this.inbox.fail(new CloseError(code, reason, true));
    // The echo waits for the messages before the Close to be inflated, and a turn (as fail()
    // does): replies made at once to them go out first (RFC 6455 §5.5.1). Bounded by closeTimeoutMs.
    if (!this.closeSent) this.armCloseTimer(this.options.closeTimeoutMs);
    const echo = () => defer(() => {
      if (this.state === 'closed') return;
      // Echo code and reason (RFC 6455 §5.5.1, as browsers and ws do); none: an empty close.
      if (!this.closeSent) this.startClosing(code === CloseCode.NoStatus ? new Uint8Array(0) : encodeClosePayload(code, reason));
      this.endTcpIfDone();
      if (this.peerEnded) this.onPeerEnd();
    });
    if (this.inflater) this.inflater.whenIdle(echo);
    else echo();
  }

  private failNow(code: number, reason: string, error: Error): void {
    this.inbox.fail(new CloseError(code, reason, false, { cause: error }));
    if (this.state === 'closed') return;
    if (!this.closeSent) this.startClosing(encodeClosePayload(code, fitCloseReason(reason)), true);
    // Nothing more will be read: the server ends TCP once its close is written (onCloseWritten).
    this.outbox.flush();
    if (this.role === 'client') this.armCloseTimer(Math.min(this.options.closeTimeoutMs, 1000));
    else if (this.closeWritten) this.socket.end();
  }

  /** Queues our close behind every message sent before it (compressing or streaming; failing: see enqueueClose). */
  private startClosing(payload: Uint8Array, failing = false): void {
    const frames: Uint8Array[] = [];
    this.writer.frame(OP_CLOSE, payload, true, false, frames);
    this.outbox.enqueueClose(frames[0], () => this.onCloseWritten(), failing);
    this.closeSent = true;
    if (this.state === 'open') this.state = 'closing';
    this.keepalive?.stop();
    this.armCloseTimer(this.options.closeTimeoutMs);
  }

  /** The server ends TCP once both close frames are exchanged, or at once when failing. */
  private onCloseWritten(): void {
    this.closeWritten = true;
    if (this.role === 'server' && (this.closeReceived || this.failure)) this.socket.end();
  }

  private armCloseTimer(ms: number): void {
    clearTimeout(this.closeTimer);
    // The reads' CloseError says why (its cause), as for a pong deadline.
    this.closeTimer = setTimeout(() => this.terminate(new TimeoutError(`close handshake not done within ${ms} ms`)), ms);
  }

  /** The server ends TCP once both close frames are exchanged (RFC 6455 §7.1.1). */
  private endTcpIfDone(): void {
    if (!this.closeSent || !this.closeReceived) return;
    if (!this.closeWritten) this.outbox.flush(); // the echo goes now if nothing is ahead (then onCloseWritten)
    else if (this.role === 'server') this.socket.end();
  }
}
