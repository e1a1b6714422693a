import type { FrameCodec } from '../codec/codec';
import {
  FLAG_FRAME_END, REC_FLAGS, REC_FRAME_LENGTH, REC_LENGTH,
  REC_MESSAGE_OPCODE, REC_OFFSET, SCAN_ALLOW_RSV1, SCAN_FORBID_MASK, SCAN_RECORD_FIELDS,
  SCAN_REQUIRE_MASK, SCAN_STATE_FIELDS, ST_CONSUMED, ST_MAX_MESSAGE_BYTES, ST_MESSAGE_OPCODE,
  ST_OPTIONS, ST_REMAINING, ST_STATUS, ST_UTF8, UTF8_ACCEPT,
} from '../codec/constants';
import { errorFromStatus, ProtocolError } from '../errors';
import { Defaults, MAX_CONTROL_PAYLOAD_BYTES } from '../protocol/limits';
import { MessageAssembler, type MessageHandler } from './assembler';

/** Which end of the connection this reader serves: servers read masked frames, clients unmasked. */
export type Role = 'server' | 'client';

/** Options of a FrameReader; every limit has a default in protocol/limits.ts. */
export interface FrameReaderOptions {
  /** Which end this is: decides masking. */
  role: Role;
  /** The codec that parses, masks and validates. */
  codec: FrameCodec;
  /** Largest message, summed over its frames and checked from each header before buffering. */
  maxMessageBytes?: number;
  /** Most frames one message may span. */
  maxFragments?: number;
  /** True when an extension that defines RSV1 (permessage-deflate) was negotiated. */
  allowRsv1?: boolean;
}

/** What a FrameReader reports: messages (through MessageHandler), control frames and errors. */
export interface FrameHandler extends MessageHandler {
  /** A complete control frame. `payload` is the reader's own copy, in a buffer of its own. */
  onControl(opcode: number, payload: Uint8Array): void;
  /** A violation: nothing after it is read. The records before it were delivered. */
  onError(error: ProtocolError): void;
}

/** Records per scan call: enough for a 64 KiB read of 64-byte frames in one call. */
const RECORDS_PER_SCAN = 1024;

/**
 * The scan's output array (40 KiB), shared by every reader in the process: a scan and the
 * delivery of its records run to completion before another socket's data can be handled.
 * A handler that feeds another reader synchronously gets that reader a fresh array.
 */
let idleRecords: Float64Array | null = new Float64Array(RECORDS_PER_SCAN * SCAN_RECORD_FIELDS);

/**
 * The scan state, shared the same way. Between messages a reader's state is only its
 * options and limit (the rest is zero), so a reader keeps its own copy only while a frame
 * or a fragmented message is in progress: idle connections hold no typed array at all.
 */
let idleState: Float64Array | null = new Float64Array(SCAN_STATE_FIELDS);

/** Longest partial header carried to the next chunk (a full header is at most 14 bytes). */
const MAX_PENDING_BYTES = 14;

/**
 * The sans-I/O read side: socket chunks of any size in, messages and control frames out.
 *
 * Each chunk is scanned in one codec call for all its frames (parse, rule checks, unmask,
 * UTF-8), then the records are walked in JavaScript. The chunk ends up unmasked in place
 * (the wasm codec copies it into linear memory and back in one piece), so messages that
 * arrived whole are views of it: no per-message copy or allocation. RFC 6455 §5-6.
 */
export class FrameReader {
  private readonly codec: FrameCodec;
  private scanOptions: number;
  private readonly maxMessageBytes: number;
  /** The scan state while a frame or fragmented message is in progress; null between messages. */
  private midMessage: Float64Array | null = null;
  // Both buffers are made on first use: most connections never split a header or a control
  // frame across reads, and an idle connection should cost as little as possible.
  private pending: Uint8Array | null = null;
  private pendingLength = 0;
  private control: Uint8Array | null = null;
  private controlLength = 0;
  private readonly assembler: MessageAssembler;
  private halted = false;

  constructor(options: FrameReaderOptions, private readonly handler: FrameHandler) {
    this.codec = options.codec;
    this.scanOptions = (options.role === 'server' ? SCAN_REQUIRE_MASK : SCAN_FORBID_MASK)
      | (options.allowRsv1 ? SCAN_ALLOW_RSV1 : 0);
    this.maxMessageBytes = options.maxMessageBytes ?? Defaults.maxMessageBytes;
    this.assembler = new MessageAssembler(handler, options.maxFragments ?? Defaults.maxFragments, this.maxMessageBytes);
  }

  /** Allows RSV1 from now on (an extension was agreed after construction). */
  allowRsv1(): void {
    this.scanOptions |= SCAN_ALLOW_RSV1;
    if (this.midMessage) this.midMessage[ST_OPTIONS] = this.scanOptions;
  }

  /** Stops reading for good: after a close frame or an error nothing more is processed. */
  halt(): void {
    this.halted = true;
  }

  /** True once halted, by halt() or by an error. */
  get isHalted(): boolean {
    return this.halted;
  }

  /**
   * Feeds one chunk. Its bytes are unmasked in place and messages may be views of it, so the
   * caller hands the chunk over (Node's socket chunks are fresh buffers).
   */
  push(chunk: Uint8Array): void {
    if (this.halted || chunk.length === 0) return;
    if (this.pendingLength > 0) {
      const joined = new Uint8Array(this.pendingLength + chunk.length);
      joined.set(this.pending!.subarray(0, this.pendingLength));
      joined.set(chunk, this.pendingLength);
      this.pendingLength = 0;
      this.process(joined, 0, joined.length);
    } else {
      this.process(chunk, 0, chunk.length);
    }
  }

  /** Scans buf[start, end) to the end or the first error; keeps a trailing partial header. */
  private process(buf: Uint8Array, start: number, end: number): void {
    const state = this.loadState();
    const records = idleRecords ?? new Float64Array(RECORDS_PER_SCAN * SCAN_RECORD_FIELDS);
    idleRecords = null;
    try {
      while (!this.halted) {
        // Unmasked in place: every record is a stable view of `buf`, which the assembler may
        // keep until the message's last frame (see MessageAssembler).
        const count = this.codec.scan(buf, start, end, state, records);
        this.deliver(buf, start, count, records);
        if (this.halted) return;
        const status = state[ST_STATUS];
        if (status !== 0) return this.fail(errorFromStatus(status));
        start += state[ST_CONSUMED];
        if (count < RECORDS_PER_SCAN || start >= end) break;
      }
    } finally {
      idleRecords = records;
      this.saveState(state);
    }
    if (this.halted || start >= end) return;
    (this.pending ??= new Uint8Array(MAX_PENDING_BYTES)).set(buf.subarray(start, end));
    this.pendingLength = end - start;
  }

  /** The state to scan with: this reader's own, or a shared array set to the between-messages state. */
  private loadState(): Float64Array {
    const state = idleState ?? new Float64Array(SCAN_STATE_FIELDS);
    idleState = null;
    if (this.midMessage) {
      state.set(this.midMessage);
    } else {
      state.fill(0);
      state[ST_UTF8] = UTF8_ACCEPT;
      state[ST_OPTIONS] = this.scanOptions;
      state[ST_MAX_MESSAGE_BYTES] = this.maxMessageBytes;
    }
    return state;
  }

  /** Keeps the state only while a frame or message is in progress, and gives the shared one back. */
  private saveState(state: Float64Array): void {
    const inProgress = state[ST_REMAINING] !== 0 || state[ST_MESSAGE_OPCODE] !== 0;
    if (inProgress) (this.midMessage ??= new Float64Array(SCAN_STATE_FIELDS)).set(state);
    else this.midMessage = null;
    idleState = state;
  }

  private deliver(buf: Uint8Array, base: number, count: number, records: Float64Array): void {
    for (let i = 0; i < count && !this.halted; i++) {
      const r = i * SCAN_RECORD_FIELDS;
      const flags = records[r + REC_FLAGS];
      const offset = base + records[r + REC_OFFSET];
      const segment = buf.subarray(offset, offset + records[r + REC_LENGTH]);
      const opcode = flags & 0xf;
      if (opcode >= 8) {
        this.collectControl(opcode, segment, (flags & FLAG_FRAME_END) !== 0);
        continue;
      }
      const error = this.assembler.segment(segment, flags, records[r + REC_MESSAGE_OPCODE], records[r + REC_FRAME_LENGTH]);
      if (error) this.fail(error);
    }
  }

  private collectControl(opcode: number, segment: Uint8Array, isEnd: boolean): void {
    if (isEnd && this.controlLength === 0) {
      // The usual case: whole in one read. Copied into a buffer of its own (at most 125
      // bytes): the handler's user may keep it, or transfer its ArrayBuffer.
      this.handler.onControl(opcode, segment.slice());
      return;
    }
    const control = this.control ??= new Uint8Array(MAX_CONTROL_PAYLOAD_BYTES);
    control.set(segment, this.controlLength);
    this.controlLength += segment.length;
    if (!isEnd) return;
    const payload = control.slice(0, this.controlLength);
    this.controlLength = 0;
    this.handler.onControl(opcode, payload);
  }

  private fail(error: ProtocolError): void {
    if (this.halted) return;
    this.halted = true;
    this.assembler.abort(error); // a message streaming to a reader fails with the same typed error
    this.handler.onError(error);
  }
}
