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

/**
 * Most a message buffer is given before its bytes arrive. A header may announce up to
 * maxMessageBytes with one byte behind it: trusting it would let 15 bytes commit 64 MiB.
 * Small pieces are gathered into buffers of at most this size, allocated as bytes arrive.
 */
export const MAX_UNBACKED_CAPACITY = 64 * 1024;

/** Small pieces of a message are copied together into buffers of up to this size. */
const MERGE_BYTES = 16 * 1024;
/** The first merge buffer of a message (most messages need one for a short first or last piece). */
const MERGE_FIRST_BYTES = 1024;

/**
 * A piece at least this large is kept as the view it arrived in (no copy until the message
 * is joined), when it also covers a quarter of its backing buffer: a kept view pins the
 * whole socket chunk, so memory stays within 4× the bytes received.
 */
const VIEW_MIN_BYTES = 8 * 1024;

/**
 * Turns payload segments (from FrameReader) into messages. A message that arrived whole in
 * one chunk is a view of that chunk (no copy). A message split across chunks is kept as the
 * pieces it arrived in — large ones as views of their socket chunks, small ones gathered
 * into buffers of MERGE_BYTES — and joined once, exactly sized, at its last frame: one copy
 * of each byte, where a buffer grown by doubling copied a 1 MiB message ~2× and faulted in
 * five fresh buffers (bench/codec.bench.mjs, "assembly"). Nothing is allocated ahead of the
 * bytes received but one merge buffer.
 */
export class MessageAssembler {
  /** The message's pieces in order; the last may be `merge`, filled up to `mergeUsed`. */
  private pieces: Uint8Array[] = [];
  private merge: Uint8Array | null = null;
  private mergeUsed = 0;
  /** The next merge buffer's size. */
  private mergeNext = MERGE_FIRST_BYTES;
  private length = 0;
  private opcode = 0;
  private compressed = false;
  private fragments = 0;
  private sink: MessageSink | undefined;

  constructor(
    private readonly handler: MessageHandler,
    private readonly maxFragments: number,
    /** The reader's maxMessageBytes (checked by the reader's scan before bytes are kept). */
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
    this.append(data, stable);
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

  private append(data: Uint8Array, stable: boolean): void {
    const n = data.length;
    if (n === 0) return;
    this.length += n;
    if (stable && n >= VIEW_MIN_BYTES && n * 4 >= data.buffer.byteLength) {
      this.closeMerge();
      this.pieces.push(data);
      return;
    }
    let at = 0;
    while (at < n) {
      if (this.merge === null || this.mergeUsed === this.merge.length) {
        this.closeMerge();
        // What is left of this piece, or room for small pieces to come: 1 KiB first, twice
        // the last merge buffer after, up to MERGE_BYTES, and never more than the message may
        // still grow by. Backed by the bytes in hand, within 2× and a kilobyte.
        const rest = n - at;
        const room = Math.min(MERGE_BYTES, this.mergeNext, this.maxMessageBytes - (this.length - rest));
        this.merge = allocForOverwrite(Math.max(rest, room));
        this.mergeNext = Math.min(MERGE_BYTES, this.merge.length * 2);
        this.mergeUsed = 0;
        this.pieces.push(this.merge);
      }
      const take = Math.min(n - at, this.merge.length - this.mergeUsed);
      this.merge.set(at === 0 && take === n ? data : data.subarray(at, at + take), this.mergeUsed);
      this.mergeUsed += take;
      at += take;
    }
  }

  /** The merge buffer stops taking bytes: its piece becomes the part it holds. */
  private closeMerge(): void {
    if (this.merge === null) return;
    this.pieces[this.pieces.length - 1] = this.merge.subarray(0, this.mergeUsed);
    this.merge = null;
    this.mergeUsed = 0;
  }

  private finish(): void {
    this.closeMerge();
    const { pieces, length, opcode, compressed } = this;
    let data: Uint8Array;
    if (pieces.length === 1 && pieces[0].buffer.byteLength === length) {
      data = pieces[0]; // one merge buffer filled exactly, or a view that is its whole buffer
    } else {
      // Joined exactly sized: no overallocated tail, nor a view of a merge buffer, the user can reach.
      data = allocForOverwrite(length);
      let at = 0;
      for (const piece of pieces) {
        data.set(piece, at);
        at += piece.length;
      }
    }
    this.reset();
    this.handler.onMessage(opcode, data, compressed);
  }

  private finishSink(): void {
    const sink = this.sink!;
    this.reset();
    sink.end();
  }

  private reset(): void {
    if (this.pieces.length > 0) this.pieces.length = 0;
    this.merge = null;
    this.mergeUsed = 0;
    this.mergeNext = MERGE_FIRST_BYTES;
    this.length = 0;
    this.fragments = 0;
    this.sink = undefined;
  }
}
