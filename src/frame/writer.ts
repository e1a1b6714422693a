import type { FrameCodec, FrameHeader } from '../codec/codec';
import { OP_TEXT } from '../codec/constants';
import { headerLengthOf } from '../codec/js/header';
import { Defaults } from '../protocol/limits';
import { maskKeys } from './mask-keys';
import type { Role } from './reader';
import { sharedSlab } from './slab';
import { takeOutput } from './write-pool';

/** Options of a FrameWriter. */
export interface FrameWriterOptions {
  /** Which end this is: decides masking. */
  role: Role;
  /** The codec that parses, masks and validates. */
  codec: FrameCodec;
  /** Largest frame payload before a message is fragmented (default: never fragment). */
  maxFrameBytes?: number;
}

/**
 * Unmasked payloads up to this size are copied behind their header (one buffer, one write
 * slot); larger ones go out as their own buffer after the header, with no copy.
 */
const COPY_PAYLOAD_MAX_BYTES = 2048;

/** Strings up to this many UTF-8 bytes (3 per UTF-16 unit, at most) are encoded in place. */
const TEXT_IN_PLACE_MAX_BYTES = 6144;

/** Room for the longest header (2 + 8 + 4). */
const MAX_HEADER_BYTES = 14;

const encoder = new TextEncoder();

/**
 * The sans-I/O write side: messages in, wire-ready buffers out (appended to `out`, to be
 * written in order, typically corked into one socket write).
 *
 * The header is written in front of the payload (codec.writeHeader ends at the payload), a
 * client masks with a fresh key per frame, and a server sends large payloads without copying.
 * A large masked frame is a buffer lent by writePool: whoever writes it gives it back.
 */
export class FrameWriter {
  private readonly codec: FrameCodec;
  private readonly masked: boolean;
  private readonly maxFrameBytes: number;
  private readonly header: FrameHeader = {
    fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 0,
    masked: false, maskKey: 0, payloadLength: 0, headerLength: 0,
  };

  constructor(options: FrameWriterOptions) {
    this.codec = options.codec;
    this.masked = options.role === 'client';
    this.maxFrameBytes = Math.max(1, options.maxFrameBytes ?? Defaults.maxFrameBytes);
  }

  /** True for the client role, whose frames are masked. */
  get isMasking(): boolean {
    return this.masked;
  }

  /**
   * Encodes a whole message, fragmented at maxFrameBytes. `rsv1` marks the first frame
   * only (RFC 7692 §6.1). `payload` is not modified and, on the server, may be referenced.
   */
  message(opcode: number, payload: Uint8Array, out: Uint8Array[], rsv1 = false): void {
    if (payload.length <= this.maxFrameBytes) {
      this.frame(opcode, payload, true, rsv1, out);
      return;
    }
    for (let at = 0; at < payload.length; at += this.maxFrameBytes) {
      const end = Math.min(at + this.maxFrameBytes, payload.length);
      this.frame(at === 0 ? opcode : 0, payload.subarray(at, end), end === payload.length, at === 0 && rsv1, out);
    }
  }

  /**
   * Encodes a text message straight into its frame: the string is UTF-8-encoded behind
   * reserved header room, so a short message costs one slab region and no extra copy.
   */
  text(text: string, out: Uint8Array[], rsv1 = false): void {
    const maxBytes = text.length * 3;
    if (maxBytes > TEXT_IN_PLACE_MAX_BYTES) {
      this.message(OP_TEXT, encoder.encode(text), out, rsv1);
      return;
    }
    const region = sharedSlab.take(MAX_HEADER_BYTES + maxBytes);
    const { written } = encoder.encodeInto(text, region.subarray(MAX_HEADER_BYTES));
    if (written > this.maxFrameBytes) {
      this.message(OP_TEXT, region.subarray(MAX_HEADER_BYTES, MAX_HEADER_BYTES + written), out, rsv1);
      return;
    }
    const h = this.headerFor(OP_TEXT, written, true, rsv1);
    const start = this.codec.writeHeader(region, MAX_HEADER_BYTES, h);
    if (this.masked) this.codec.mask(region, MAX_HEADER_BYTES, MAX_HEADER_BYTES + written, h.maskKey, 0);
    out.push(region.subarray(start, MAX_HEADER_BYTES + written));
  }

  /**
   * The size of a whole-message frame of `payloadLength` bytes that frameInto() may write
   * straight into a caller's buffer, or -1 when it should not be: payloads the server sends
   * by reference (no copy) or that would be fragmented.
   */
  inPlaceSize(payloadLength: number): number {
    if (payloadLength > COPY_PAYLOAD_MAX_BYTES || payloadLength > this.maxFrameBytes) return -1;
    return headerLengthOf(payloadLength, this.masked) + payloadLength;
  }

  /**
   * Encodes a whole message as one final frame at `target[at…]`, exactly the bytes frame()
   * would give: the header, then the payload copied (and masked, on the client). `target`
   * must have inPlaceSize(payload.length) bytes of room there.
   */
  frameInto(opcode: number, payload: Uint8Array, target: Uint8Array, at: number, rsv1 = false): void {
    const h = this.headerFor(opcode, payload.length, true, rsv1);
    const payloadAt = at + headerLengthOf(payload.length, this.masked);
    this.codec.writeHeader(target, payloadAt, h);
    if (this.masked && this.codec.maskInto) {
      this.codec.maskInto(payload, 0, payload.length, target, payloadAt, h.maskKey, 0);
    } else {
      target.set(payload, payloadAt);
      if (this.masked) this.codec.mask(target, payloadAt, payloadAt + payload.length, h.maskKey, 0);
    }
  }

  /** Encodes one frame. */
  frame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, out: Uint8Array[]): void {
    const h = this.headerFor(opcode, payload.length, fin, rsv1);
    const headerLength = headerLengthOf(payload.length, this.masked);
    if (!this.masked && payload.length > COPY_PAYLOAD_MAX_BYTES) {
      const head = sharedSlab.take(headerLength);
      this.codec.writeHeader(head, headerLength, h);
      out.push(head, payload);
      return;
    }
    const frame = takeOutput(headerLength + payload.length);
    this.codec.writeHeader(frame, headerLength, h);
    if (this.masked && this.codec.maskInto) {
      this.codec.maskInto(payload, 0, payload.length, frame, headerLength, h.maskKey, 0); // copy and mask in one go
    } else {
      frame.set(payload, headerLength);
      if (this.masked) this.codec.mask(frame, headerLength, frame.length, h.maskKey, 0);
    }
    out.push(frame);
  }

  /** The reused header, filled for one frame (a fresh mask key on the client). */
  private headerFor(opcode: number, payloadLength: number, fin: boolean, rsv1: boolean): FrameHeader {
    const h = this.header;
    h.opcode = opcode;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.masked = this.masked;
    h.maskKey = this.masked ? maskKeys.take() : 0;
    h.payloadLength = payloadLength;
    return h;
  }
}
