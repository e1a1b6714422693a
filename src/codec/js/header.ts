import type { FrameHeader } from '../codec';
import {
  STATUS_BAD_OPCODE, STATUS_CONTROL_TOO_LONG, STATUS_FRAGMENTED_CONTROL, STATUS_LENGTH_TOP_BIT,
  STATUS_LENGTH_UNSAFE, STATUS_NEED_MORE,
} from '../constants';

const TWO_TO_32 = 4294967296;

/**
 * Reads the frame header at src[start, end). RFC 6455 §5.2. The same steps, in the same
 * order, as assembly/header.ts: rules decided by bytes 0-1 are reported before waiting for
 * the extended length and key.
 */
export function parseHeader(src: Uint8Array, start: number, end: number, out: FrameHeader): number {
  if (end - start < 2) return STATUS_NEED_MORE;
  const b0 = src[start];
  const b1 = src[start + 1];
  const opcode = b0 & 0xf;
  const len7 = b1 & 0x7f;
  if ((opcode >= 3 && opcode <= 7) || opcode >= 0xb) return STATUS_BAD_OPCODE;
  if (opcode >= 8) {
    if ((b0 & 0x80) === 0) return STATUS_FRAGMENTED_CONTROL;
    if (len7 > 125) return STATUS_CONTROL_TOO_LONG;
  }
  const masked = (b1 & 0x80) !== 0;
  const lengthBytes = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
  if (end - start < headerLength) return STATUS_NEED_MORE;

  let length = len7;
  if (lengthBytes === 2) {
    length = (src[start + 2] << 8) | src[start + 3];
  } else if (lengthBytes === 8) {
    const high = readU32(src, start + 2);
    if (high >= 0x80000000) return STATUS_LENGTH_TOP_BIT;
    if (high > 0x1fffff) return STATUS_LENGTH_UNSAFE;
    length = high * TWO_TO_32 + readU32(src, start + 6);
  }
  out.fin = (b0 & 0x80) !== 0;
  out.rsv1 = (b0 & 0x40) !== 0;
  out.rsv2 = (b0 & 0x20) !== 0;
  out.rsv3 = (b0 & 0x10) !== 0;
  out.opcode = opcode;
  out.masked = masked;
  out.maskKey = masked ? readU32(src, start + headerLength - 4) : 0;
  out.payloadLength = length;
  out.headerLength = headerLength;
  return headerLength;
}

/** Bytes a header takes for this payload length, with or without a mask key. */
export function headerLengthOf(payloadLength: number, masked: boolean): number {
  return (payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes the header so that it ends at `end`; returns its start. Minimal length encoding. */
export function writeHeader(dst: Uint8Array, end: number, h: FrameHeader): number {
  const length = h.payloadLength;
  const start = end - headerLengthOf(length, h.masked);
  dst[start] = (h.fin ? 0x80 : 0) | (h.rsv1 ? 0x40 : 0) | (h.rsv2 ? 0x20 : 0) | (h.rsv3 ? 0x10 : 0) | (h.opcode & 0xf);
  const maskBit = h.masked ? 0x80 : 0;
  let at = start + 2;
  if (length < 126) {
    dst[start + 1] = maskBit | length;
  } else if (length < 65536) {
    dst[start + 1] = maskBit | 126;
    dst[at++] = length >>> 8;
    dst[at++] = length & 0xff;
  } else {
    dst[start + 1] = maskBit | 127;
    const high = Math.floor(length / TWO_TO_32);
    writeU32(dst, at, high);
    writeU32(dst, at + 4, length - high * TWO_TO_32);
    at += 8;
  }
  if (h.masked) writeU32(dst, at, h.maskKey);
  return start;
}

/** Big-endian u32 at `at`. */
export function readU32(src: Uint8Array, at: number): number {
  return ((src[at] << 24) | (src[at + 1] << 16) | (src[at + 2] << 8) | src[at + 3]) >>> 0;
}

/** Writes `value` as a big-endian u32 at `at`. */
export function writeU32(dst: Uint8Array, at: number, value: number): void {
  dst[at] = value >>> 24;
  dst[at + 1] = (value >>> 16) & 0xff;
  dst[at + 2] = (value >>> 8) & 0xff;
  dst[at + 3] = value & 0xff;
}
