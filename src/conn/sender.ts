import { OP_BINARY, OP_TEXT } from '../codec/constants';
import { AlreadyClosedError, WebSocketError } from '../errors';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import { outgoingMessage } from '../frame/outgoing';
import { PreparedMessage } from '../frame/prepared';
import type { FrameWriter } from '../frame/writer';
import type { BufferFullPolicy } from '../options';
import { CloseCode } from '../protocol/close-code';
import type { WriteCallback } from './completions';
import { MessageWriter } from './message-writer';
import { sizeOf, type Outbox } from './outbox';

/** What send() takes. */
export type Sendable = string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage;

/** Options of send(). */
export interface SendOptions {
  /** Send as binary (default for bytes) or text (default for strings). */
  binary?: boolean;
  /** Compress this message when permessage-deflate was negotiated (default true). */
  compress?: boolean;
}

/** What the sender needs from its connection. */
export interface SenderHost {
  readonly isOpen: boolean;
  fail(code: number, reason: string, error: Error): void;
}

/** A message to send as opcode + bytes (see outgoingMessage). */
function outgoing(data: Sendable, options: SendOptions): { opcode: number; payload: Uint8Array } {
  if (data instanceof PreparedMessage) return { opcode: data.opcode, payload: data.payload };
  return outgoingMessage(data, options.binary);
}

/**
 * The data side of a connection's writing: each message becomes work in the outbox's line
 * the moment send() or nextWriter() is called, so messages leave in call order, are counted
 * in bufferedAmount (and against maxBufferedBytes) while they are being compressed, and the
 * close frame queued after them leaves after them. Control frames do not come through
 * here: they may overtake anything.
 */
export class Sender {
  /** The frames of the message being sent: reused, since the outbox copies them out. */
  private readonly scratch: Uint8Array[] = [];

  constructor(
    private readonly writer: FrameWriter,
    private readonly outbox: Outbox,
    private readonly deflate: PerMessageDeflate | undefined,
    private readonly limits: { maxFrameBytes: number; maxBufferedBytes: number; bufferFullPolicy: BufferFullPolicy },
    private readonly host: SenderHost,
  ) {}

  /**
   * Sends a message, behind everything sent before it (a streaming writer's message
   * included). The promise is marked handled: not awaiting it never crashes the process.
   * `done` (optional: without it, a send costs nothing more) is told once the socket has
   * written the message's last byte, or with the error that stopped it.
   */
  send(data: Sendable, options: SendOptions, done?: WriteCallback): Promise<void> {
    if (!this.host.isOpen) return this.outbox.refuse(new AlreadyClosedError(), done);
    const deflate = this.deflate;
    // A string of under threshold/3 UTF-16 units is under the threshold in UTF-8: no need to encode it twice.
    if (deflate && deflate.canCompress && options.compress !== false && !(typeof data === 'string' && data.length * 3 < deflate.threshold)) {
      const { opcode, payload } = outgoing(data, options);
      if (payload.length >= deflate.threshold) return this.sendCompressed(data, opcode, payload, deflate, done);
    }
    if (data instanceof Uint8Array) {
      // A small message is written straight into the outbox's turn buffer: no frame view of
      // its own and no join copy at the flush.
      const outbox = this.outbox;
      const size = this.writer.inPlaceSize(data.length);
      if (size >= 0 && outbox.takesInPlace) {
        const full = this.overLimit(size, done);
        if (full !== undefined) return full;
        const target = outbox.inPlace(size);
        this.writer.frameInto(options.binary === false ? OP_TEXT : OP_BINARY, data, target, outbox.inPlaceOffset);
        return outbox.commitInPlace(size, done);
      }
    }
    // One array for every send: the outbox copies what it keeps (no array per message).
    const frames = this.scratch;
    if (data instanceof Uint8Array) {
      this.writer.message(options.binary === false ? OP_TEXT : OP_BINARY, data, frames);
    } else if (data instanceof PreparedMessage) {
      // Shared frames go to the outbox as they are (it copies the references it keeps).
      const prepared = data.frames(this.writer, this.limits.maxFrameBytes);
      return this.overLimit(sizeOf(prepared), done) ?? this.outbox.enqueue(prepared, done);
    } else if (typeof data === 'string' && !options.binary) {
      this.writer.text(data, frames);
    } else {
      const { opcode, payload } = outgoing(data, options);
      this.writer.message(opcode, payload, frames);
    }
    const sent = this.overLimit(sizeOf(frames), done) ?? this.outbox.enqueue(frames, done);
    while (frames.length > 0) frames.pop(); // inlined, where `length = 0` is a runtime call
    return sent;
  }

  /**
   * A writer for one fragmented message. It takes its place in the line at once: sends made
   * while it is open go out after its final frame, and so does a close frame.
   */
  nextWriter(opcode: number): Promise<MessageWriter> {
    if (!this.host.isOpen) return this.outbox.refuse(new AlreadyClosedError()) as Promise<never>;
    return Promise.resolve(this.openWriter(opcode));
  }

  /** nextWriter() without the promise (the caller checked the connection is open). */
  openWriter(opcode: number): MessageWriter {
    const outbox = this.outbox;
    const writer = this.writer;
    const stream = outbox.openStream();
    return new MessageWriter(opcode, {
      writeFrame: (frameOpcode, payload, fin, done) => {
        const frames: Uint8Array[] = [];
        writer.frame(frameOpcode, payload, fin, false, frames);
        // A fragment past maxBufferedBytes is refused as a send is (it was not sent: the
        // message goes on with the next write); the final frame, empty, always goes.
        return (fin ? undefined : this.overLimit(sizeOf(frames), done)) ?? outbox.appendStream(stream, frames, fin, done);
      },
      get isOpen() { return outbox.isOpen; },
      refuse: (error, done) => outbox.refuse(error, done),
    });
  }

  /**
   * Compression is a step of the message's work: its place in the line is taken now,
   * counted at the uncompressed size, and filled with frames when the deflate is done.
   */
  private sendCompressed(data: Sendable, opcode: number, payload: Uint8Array, deflate: PerMessageDeflate, done: WriteCallback | undefined): Promise<void> {
    const full = this.overLimit(payload.length, done);
    if (full) return full;
    const outbox = this.outbox;
    const shared = data instanceof PreparedMessage && deflate.shareKey !== undefined;
    // Small messages are compressed now (no threadpool hop) and go behind anything still
    // being compressed, as an uncompressed send does.
    let now: Uint8Array | undefined;
    try {
      now = shared
        ? (data as PreparedMessage).compressedPayloadNow(deflate.shareKey!, () => deflate.compressAloneNow(payload))
        : deflate.compressNow(payload);
    } catch (cause) {
      const error = new WebSocketError('WS_ERR_DEFLATE_FAILED', `could not compress a message: ${String(cause)}`, { cause });
      this.host.fail(CloseCode.InternalError, 'compression failed', error);
      return outbox.refuse(error, done);
    }
    if (now !== undefined) {
      const frames = this.scratch;
      this.writer.message(opcode, now, frames, true);
      const sent = outbox.enqueue(frames, done);
      while (frames.length > 0) frames.pop();
      return sent;
    }
    // A client's bytes are its own again once send() returns (docs/conn-api.md), but zlib reads them
    // later: compress a copy. (A server, like ws, references payloads until written.)
    const input = this.writer.isMasking && typeof data !== 'string' && !(data instanceof PreparedMessage) ? payload.slice() : payload;
    const work = outbox.reserve(payload.length, done);
    const written = outbox.whenWritten(work);
    // Without context takeover the payload is compressed apart from this connection (a
    // PreparedMessage shares it with every connection of the same parameters).
    const compressed = shared
      ? (data as PreparedMessage).compressedPayload(deflate.shareKey!, () => deflate.compressAlone(payload))
      : deflate.compress(input);
    compressed.then((bytes) => {
      const frames: Uint8Array[] = [];
      this.writer.message(opcode, bytes, frames, true);
      outbox.fill(work, frames);
    }, (cause: unknown) => {
      if (!outbox.isOpen) return; // the connection went first: its error is what the send got
      const error = new WebSocketError('WS_ERR_DEFLATE_FAILED', `could not compress a message: ${String(cause)}`, { cause });
      outbox.cancel(work, error);
      // The peer would see a gap in the message sequence: fail instead (RFC 6455 §7.1.7).
      this.host.fail(CloseCode.InternalError, 'compression failed', error);
    });
    return written;
  }

  /** A rejected send when `size` more bytes would pass maxBufferedBytes (then bufferFullPolicy applies). */
  private overLimit(size: number, done: WriteCallback | undefined): Promise<void> | undefined {
    if (this.outbox.bufferedAmount + size <= this.limits.maxBufferedBytes) return undefined;
    const error = new WebSocketError('WS_ERR_BUFFER_FULL', `more than ${this.limits.maxBufferedBytes} bytes waiting to be written`);
    if (this.limits.bufferFullPolicy === 'close') this.host.fail(CloseCode.PolicyViolation, 'send buffer full', error);
    return this.outbox.refuse(error, done);
  }
}
