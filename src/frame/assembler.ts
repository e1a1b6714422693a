import { FLAG_COMPRESSED, FLAG_FIN, FLAG_FRAME_END, FLAG_FRAME_START } from '../codec/constants';
import { ProtocolError } from '../errors';
import { allocForOverwrite } from './alloc';

/** Receives one message's bytes as they arrive (gorilla's NextReader, push side). */
export interface MessageSink {
  /** Bytes of the message, in order: a view of the socket chunk, the sink's to keep. */
  write(data: Uint8Array): void;
  /** The message is complete. */
  end(): void;
  /** The message will not complete: the connection failed. */
  abort(error: Error): void;
}

/** Where assembled messages go. */
export interface MessageHandler {
  /** A complete message. `data` belongs to the receiver. `compressed`: RSV1 was set (RFC 7692). */
  onMessage(opcode: number, data: Uint8Array, compressed: boolean): void;
  /**
   * Called at the first frame of each data message. Returning a sink streams this message
   * into it instead of assembling it in memory.
   */
  onMessageStart?(opcode: number, compressed: boolean): MessageSink | undefined;
}

/** First allocation for a fragmented message whose total size is not yet known. */
const MIN_FRAGMENTED_CAPACITY = 4096;

/**
 * Most a message buffer is given before its bytes arrive. A header may announce up to
 * maxMessageBytes with one byte behind it: trusting it would let 15 bytes commit 64 MiB.
 * Messages up to this size are still allocated once, exactly.
 */
export const MAX_UNBACKED_CAPACITY = 64 * 1024;

/**
 * Turns payload segments (from FrameReader) into messages. A message that arrived whole in
 * one chunk is a view of that chunk (no copy). A message split across chunks is assembled
 * in a buffer that grows as its bytes arrive, by doubling, up to the size its header gave
 * (a single frame) — never more than MAX_UNBACKED_CAPACITY ahead of the bytes received,
 * and never past what the reader's maxMessageBytes check let through.
 */
export class MessageAssembler {
  private buffer: Uint8Array | null = null;
  private length = 0;
  /** The size the first frame's header gave: growth stops there while the message fits it. */
  private expected = 0;
  private opcode = 0;
  private compressed = false;
  private fragments = 0;
  private sink: MessageSink | undefined;

  constructor(
    private readonly handler: MessageHandler,
    private readonly maxFragments: number,
    /** The reader's maxMessageBytes: a buffer never grows past it. */
    private readonly maxMessageBytes = Number.MAX_SAFE_INTEGER,
  ) {}

  /**
   * One data segment with its scan record fields. `stable`: the view stays valid after this
   * call (a view of the socket chunk); when it does not (the codec's memory), anything kept
   * is copied. Returns an error to fail the connection.
   */
  segment(data: Uint8Array, flags: number, messageOpcode: number, frameLength: number, stable = true): ProtocolError | undefined {
    const isFrameStart = (flags & FLAG_FRAME_START) !== 0;
    const isMessageEnd = (flags & FLAG_FRAME_END) !== 0 && (flags & FLAG_FIN) !== 0;
    if (isFrameStart && (flags & 0xf) !== 0) {
      this.begin(messageOpcode, (flags & FLAG_COMPRESSED) !== 0);
      if (this.sink === undefined && isMessageEnd && data.length === frameLength) {
        // The whole message is this one segment: hand it over without assembling.
        const { opcode, compressed } = this;
        this.reset();
        this.handler.onMessage(opcode, stable ? data : data.slice(), compressed);
        return undefined;
      }
    }
    if (isFrameStart && ++this.fragments > this.maxFragments) {
      return new ProtocolError('WS_ERR_TOO_MANY_FRAGMENTS', 1009, `message spans more than ${this.maxFragments} frames`);
    }
    if (this.sink) {
      // Unstable bytes are copied into a buffer of their own, never a shared one: whatever
      // the application can reach from a chunk holds only this connection's bytes.
      if (data.length > 0) this.sink.write(stable ? data : data.slice());
      if (isMessageEnd) this.finishSink();
      return undefined;
    }
    this.append(data, frameLength, (flags & FLAG_FIN) !== 0);
    if (isMessageEnd) this.finish();
    return undefined;
  }

  /** Fails the message in progress (the connection is going away). */
  abort(error: Error): void {
    const sink = this.sink;
    this.reset();
    sink?.abort(error);
  }

  private begin(opcode: number, compressed: boolean): void {
    this.opcode = opcode;
    this.compressed = compressed;
    this.fragments = 0;
    this.sink = this.handler.onMessageStart?.(opcode, compressed);
  }

  private append(data: Uint8Array, frameLength: number, isFinal: boolean): void {
    const needed = this.length + data.length;
    if (this.buffer === null) {
      // The first frame's header says how long it is: the whole message when FIN is set, and
      // then the buffer ends exactly sized. Only a bounded part of it is trusted up front.
      const announced = Math.max(frameLength, needed);
      this.expected = isFinal ? announced : Number.MAX_SAFE_INTEGER;
      const initial = Math.max(needed, Math.min(announced, MAX_UNBACKED_CAPACITY));
      this.buffer = allocForOverwrite(isFinal ? initial : Math.max(initial, MIN_FRAGMENTED_CAPACITY));
    } else if (needed > this.buffer.length) {
      const cap = needed <= this.expected ? Math.min(this.expected, this.maxMessageBytes) : this.maxMessageBytes;
      const grown = allocForOverwrite(Math.max(needed, Math.min(this.buffer.length * 2, cap)));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(data, this.length);
    this.length = needed;
  }

  private finish(): void {
    const data = this.buffer === null ? new Uint8Array(0)
      : this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
    const { opcode, compressed } = this;
    this.reset();
    this.handler.onMessage(opcode, data, compressed);
  }

  private finishSink(): void {
    const sink = this.sink!;
    this.reset();
    sink.end();
  }

  private reset(): void {
    this.buffer = null;
    this.length = 0;
    this.fragments = 0;
    this.sink = undefined;
  }
}
