import type { FrameCodec } from '../codec/codec';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT } from '../codec/constants';
import { selectCodec } from '../codec/select';
import { AlreadyClosedError, CloseError, ProtocolError, TimeoutError } from '../errors';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import type { MessageSink } from '../frame/assembler';
import { encodeClosePayload, fitCloseReason, parseClosePayload } from '../frame/close';
import { Message, messageType } from '../frame/message';
import { FrameReader, type FrameHandler, type Role } from '../frame/reader';
import type { FrameWriter } from '../frame/writer';
import { resolveConnOptions, type ConnOptions, type ResolvedConnOptions } from '../options';
import { CloseCode } from '../protocol/close-code';
import { closeInfoOf, type CloseInfo } from './close-info';
import type { CompletionHost, WriteCallback } from './completions';
import { defer } from './defer';
import { Inbox, type FlowControl } from './inbox';
import { InflatePipeline } from './inflate-pipeline';
import { Keepalive, needsKeepalive, type KeepaliveActions } from './keepalive';
import type { MessageWriter } from './message-writer';
import { ControlFrames, type ControlHost } from './control-frames';
import { handled, Outbox } from './outbox';
import { bindSocket, type ConnSocket, type SocketEvents } from './socket-binding';
import { Sender, type Sendable, type SenderHost, type SendOptions } from './sender';
import { closeErrorWithoutStack, HALTED, sharedWriter, type ReadSide } from './shared-parts';
import type { Conn } from './connection';

export type { CloseInfo } from './close-info';
export type { ConnSocket } from './socket-binding';

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

/** The FlowControl holder bit of Conn.pauseReading() (the inbox's is HOLDER_INBOX). */
const HOLDER_APP = 2;
const HOLDER_HEAD = 8; // the handshake's trailing frames wait for the end of the turn

/**
 * The protocol state machine behind a Conn: frames in and out, control frames, the close
 * handshake, flow control. It is its parts' one listener — frame reader, keepalive, sender,
 * socket — through methods rather than closures, because an idle connection should cost
 * little more than its socket (thousands of them sit in a chat server). For the same reason
 * the parts are made when first needed: the frame reader on the first frame, the outbox,
 * sender and control frames on the first send, ping or close; the frame writer is shared.
 *
 *   close handshake (RFC 6455 §7):
 *
 *     we close:    send Close ──► peer echoes Close ──► server ends TCP (client waits for it)
 *     peer closes: receive Close ──► echo Close ──► server ends TCP (client waits for it)
 *     failure:     send Close(1002/1007/1009…) ──► stop reading ──► TCP closed
 *     no answer within closeTimeoutMs: TCP destroyed, wasClean = false
 */
export class ConnCore implements FrameHandler, KeepaliveActions, SenderHost, FlowControl, CompletionHost, ControlHost, SocketEvents {
  readonly socket: ConnSocket;
  readonly inbox: Inbox;
  private readonly role: Role;
  private readonly options: ResolvedConnOptions;
  private readonly codec: FrameCodec;
  private readonly writer: FrameWriter;
  // Made on first use (see the getters below); HALTED stands in for a reader halted unmade.
  private reader: ReadSide | null = null;
  private madeOutbox: Outbox | null = null;
  private madeSender: Sender | null = null;
  private madeControl: ControlFrames | null = null;
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
    this.writer = sharedWriter(this.codec, this.role, this.options.maxFrameBytes);
    this.inbox = new Inbox(this.options.maxReadBufferBytes, this);
    this.inflater = this.deflate && new InflatePipeline(
      this.deflate, this.codec, this.options.maxMessageBytes, this.inbox,
      (error) => this.fail(error.closeCode, error.message, error),
    );
    this.keepalive = needsKeepalive(this.options) ? new Keepalive(this.options, this) : undefined;

    const socket = this.socket;
    bindSocket(socket, this);
    const head = init.head;
    if (head && head.length > 0) {
      // Frames that came with the handshake wait (the socket paused) for the end of the turn,
      // when the caller holds the Conn: a ping behind the 101 reaches an onPing set after dial().
      this.pauseReading(HOLDER_HEAD);
      defer(() => { if (this.state !== 'closed') this.onData(head); this.resumeReading(HOLDER_HEAD); });
    } else if (this.readPausedBy === 0) socket.resume(); // the client handshake leaves it paused after the 101
    // Dead already (the client hung up while upgrade() awaited): 'end'/'close' came before us.
    if (socket.destroyed) defer(() => this.finish());
    else if (socket.readableEnded || socket.writable === false) defer(() => this.onPeerEnd());
  }

  // ── the parts made on first use ───────────────────────────────────────────────────

  /** Pings, pongs and their listeners (Conn.onPing/onPong). */
  get control(): ControlFrames {
    return this.madeControl ??= new ControlFrames(this.writer, this.outbox, this.options, this);
  }

  /** Made closed once the connection is: nothing is written after that. */
  private get outbox(): Outbox {
    if (this.madeOutbox === null) {
      this.madeOutbox = new Outbox(this.socket, this);
      if (this.state === 'closed') this.madeOutbox.close(new AlreadyClosedError());
    }
    return this.madeOutbox;
  }

  private get sender(): Sender {
    return this.madeSender ??= new Sender(this.writer, this.outbox, this.deflate, this.options, this);
  }

  private makeReader(): FrameReader {
    return new FrameReader({
      role: this.role, codec: this.codec, allowRsv1: this.deflate !== undefined,
      maxMessageBytes: this.options.maxMessageBytes, maxFragments: this.options.maxFragments,
    }, this);
  }

  /** Stops reading for good (a reader not made yet never will be). */
  private haltReading(): void {
    (this.reader ??= HALTED).halt();
  }

  // ── the Conn's operations ─────────────────────────────────────────────────────────

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
    if (this.state === 'open') return this.control.ping(data, done);
    const error = new AlreadyClosedError();
    void this.outbox.refuse(error, done);
    return handled(Promise.reject(error));
  }

  pong(payload: Uint8Array, done?: WriteCallback): void {
    this.checkOpen();
    this.control.pong(payload, done);
  }

  get bufferedAmount(): number {
    return this.madeOutbox !== null ? this.madeOutbox.bufferedAmount : this.socket.writableLength;
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
    if (!this.socket.destroyed) this.madeOutbox?.flush();
    this.socket.destroy();
    this.finish(true); // now, not at the socket's 'close': queued sends reject rather than "write" to a dead socket
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
    if (opcode !== OP_CLOSE) {
      this.control.received(opcode, payload);
    } else {
      const parsed = parseClosePayload(payload, this.codec);
      if (parsed instanceof ProtocolError) this.fail(parsed.closeCode, parsed.message, parsed);
      else this.onCloseFrame(parsed.code, parsed.reason);
    }
  }

  onError(error: ProtocolError): void {
    this.fail(error.closeCode, error.message, error);
  }

  sendKeepalivePing(): void {
    this.control.send(OP_PING, new Uint8Array(0));
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
    this.haltReading();
    if (this.failure) return;
    this.failure = { code, reason, error };
    defer(() => this.failNow(code, reason, error));
  }

  // ── socket events ─────────────────────────────────────────────────────────────────

  onData(chunk: Uint8Array): void {
    this.keepalive?.received();
    // Messages are views of the chunk: make them plain Uint8Arrays, not Buffers (whose
    // slice() does not copy), the same in every runtime.
    (this.reader ??= this.makeReader()).push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /**
   * The peer's FIN: without a close frame, an abnormal closure (1006, RFC 6455 §7.1.5). Our
   * half ends too: node:http sockets are allowHalfOpen, and would otherwise stay open for good.
   */
  onPeerEnd(): void {
    this.haltReading();
    // A Close came and its echo waits a turn (onCloseFrame): the echo goes out first, then
    // our end. Over HTTP/2 a peer may send END_STREAM right after its Close (Chromium does).
    if (this.closeReceived && !this.closeSent) {
      this.peerEnded = true;
      return;
    }
    // Our FIN waits, as a close echo does, for the messages that came before the peer's
    // (bounded by closeTimeoutMs while they inflate).
    if (this.inflater && !this.closeSent) this.armCloseTimer(this.options.closeTimeoutMs);
    this.afterReceived(() => {
      this.madeOutbox?.flush();
      this.socket.end();
    });
  }

  onSocketError(err: Error): void {
    if (!this.failure) this.failure = { code: CloseCode.Abnormal, reason: err.message, error: err };
    this.finish(); // the socket is destroyed: what is still queued will never be written
  }

  /**
   * The socket is gone. `fromCall`: terminate() (the application's call may be on the
   * stack); otherwise a socket event, whose CloseError gets no stack (see closeErrorWithoutStack).
   */
  finish(fromCall = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.closeTimer);
    this.keepalive?.stop();
    this.haltReading();
    const info = closeInfoOf(this.closeReceived, this.closeWritten, this.failure);
    const cause = this.failure?.error;
    const error = fromCall
      ? new CloseError(info.code, info.reason, info.wasClean, cause ? { cause } : undefined)
      : closeErrorWithoutStack(info.code, info.reason, info.wasClean, cause);
    this.inbox.fail(error);
    // As ws: once the connection is gone, what pauseReading() held is delivered, then the close.
    this.readPausedBy &= ~HOLDER_APP;
    this.inbox.resumeDelivery();
    this.madeOutbox?.close(error);
    // Messages received before the close are still inflating: zlib is freed once they are in.
    if (this.inflater) this.inflater.whenIdle(() => this.deflate!.close());
    else this.deflate?.close();
    this.madeControl?.close(error);
    this.closeInfo = info;
    this.resolveClosed?.(info);
    this.onClosed?.(this.owner);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────

  private checkOpen(): void {
    if (this.state !== 'open') throw new AlreadyClosedError();
  }

  /** No control frame may follow our close frame (RFC 6455 §5.5.1). */
  get canSendControl(): boolean {
    return !this.closeSent && this.state !== 'closed';
  }

  /** onPing/onPong (or a write callback) threw or rejected: 1011, the error the cause (gorilla's ping handler rule). */
  listenerFailed(name: string, error: Error): void {
    this.fail(CloseCode.InternalError, `${name} failed`, error);
  }

  private onCloseFrame(code: number, reason: string): void {
    this.haltReading();
    this.closeReceived = { code, reason };
    this.inbox.fail(new CloseError(code, reason, true));
    // The echo waits for the messages before the Close (as fail() does): replies made at once
    // to them go out first (RFC 6455 §5.5.1). Bounded by closeTimeoutMs.
    if (!this.closeSent) this.armCloseTimer(this.options.closeTimeoutMs);
    this.afterReceived(() => {
      // Echo code and reason (RFC 6455 §5.5.1, as browsers and ws do); none: an empty close.
      if (!this.closeSent) this.startClosing(code === CloseCode.NoStatus ? new Uint8Array(0) : encodeClosePayload(code, reason));
      this.endTcpIfDone();
      if (this.peerEnded) this.onPeerEnd();
    });
  }

  /**
   * Runs `action` once every message received so far is inflated, and a turn later, so that
   * replies made at once to them are queued first; not if the connection closed meanwhile.
   */
  private afterReceived(action: () => void): void {
    const run = () => defer(() => {
      if (this.state !== 'closed') action();
    });
    if (this.inflater) this.inflater.whenIdle(run);
    else run();
  }

  private failNow(code: number, reason: string, error: Error): void {
    this.inbox.fail(new CloseError(code, reason, false, { cause: error }));
    if (this.state === 'closed') return;
    if (!this.closeSent) this.startClosing(encodeClosePayload(code, fitCloseReason(reason)), true);
    // Nothing more will be read: the server ends TCP once its close is written (onCloseWritten).
    this.madeOutbox?.flush();
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
