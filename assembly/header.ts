import {
  FLAG_FIN, FLAG_MASK, FLAG_RSV1, FLAG_RSV2, FLAG_RSV3,
  STATUS_BAD_OPCODE, STATUS_CONTROL_TOO_LONG, STATUS_FRAGMENTED_CONTROL,
  STATUS_LENGTH_TOP_BIT, STATUS_LENGTH_UNSAFE, STATUS_NEED_MORE,
} from "./shared/status";

/** Where parseHeaderUnsafe leaves a header: flags u32 @0, mask key u32 @4, length f64 @8. */
export const HEADER_OUT: usize = memory.data(16, 8);

/**
 * Reads the frame header at [ptr, ptr + avail). RFC 6455 §5.2.
 *
 * 1. Fixed 2 bytes: FIN, RSV1-3, opcode, MASK, 7-bit length. Rules that these bytes decide
 *    (reserved opcode, fragmented or long control frame) are reported before waiting for more.
 * 2. Extended length: 16 bits for 126, 64 bits for 127 (the top bit must be 0, and the value
 *    must fit a JavaScript number exactly).
 * 3. Masking key when MASK is set.
 *
 * Returns the header length (2..14) with HEADER_OUT filled, 0 when more bytes are needed,
 * or a negative status.
 */
export function parseHeaderUnsafe(ptr: usize, avail: usize): i32 {
  if (avail < 2) return STATUS_NEED_MORE;
  const b0 = u32(load<u8>(ptr));
  const b1 = u32(load<u8>(ptr, 1));
  const opcode = b0 & 0xf;
  const len7 = b1 & 0x7f;
  if ((opcode >= 3 && opcode <= 7) || opcode >= 0xb) return STATUS_BAD_OPCODE;
  if (opcode >= 8) {
    if ((b0 & 0x80) == 0) return STATUS_FRAGMENTED_CONTROL;
    if (len7 > 125) return STATUS_CONTROL_TOO_LONG;
  }
  const masked = b1 >> 7;
  const lengthBytes: u32 = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  const headerLength = 2 + lengthBytes + (masked << 2);
  if (avail < usize(headerLength)) return STATUS_NEED_MORE;

  let length: f64 = f64(len7);
  if (lengthBytes == 2) {
    length = f64(u32(bswap<u16>(load<u16>(ptr, 2))));
  } else if (lengthBytes == 8) {
    const high = bswap<u32>(load<u32>(ptr, 2));
    const low = bswap<u32>(load<u32>(ptr, 6));
    if (high & 0x80000000) return STATUS_LENGTH_TOP_BIT;
    if (high > 0x1fffff) return STATUS_LENGTH_UNSAFE; // 2^53 and above
    length = f64(high) * 4294967296.0 + f64(low);
  }
  const key: u32 = masked ? bswap<u32>(load<u32>(ptr + headerLength - 4)) : 0;
  store<u32>(HEADER_OUT, flagsOf(b0, masked));
  store<u32>(HEADER_OUT, key, 4);
  store<f64>(HEADER_OUT, length, 8);
  return i32(headerLength);
}

/** Header byte 0 + mask bit -> the flags word (see shared/status.ts). */
// @ts-ignore: decorator
@inline function flagsOf(b0: u32, masked: u32): u32 {
  return (b0 & 0xf)
    | (b0 & 0x80 ? FLAG_FIN : 0)
    | (b0 & 0x40 ? FLAG_RSV1 : 0)
    | (b0 & 0x20 ? FLAG_RSV2 : 0)
    | (b0 & 0x10 ? FLAG_RSV3 : 0)
    | (masked ? FLAG_MASK : 0);
}

/** Bytes a header takes for this payload length, with or without a mask key. */
export function headerLengthOf(length: f64, masked: bool): i32 {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a header that ends exactly at `endPtr` and returns where it starts, so a payload
 * already in place after it needs no move. Minimal length encoding (RFC 6455 §5.2).
 */
export function writeHeaderUnsafe(endPtr: usize, flags: u32, length: f64, key: u32): usize {
  const masked = (flags & FLAG_MASK) != 0;
  let ptr = endPtr - usize(headerLengthOf(length, masked));
  let b0: u32 = flags & 0xf;
  if (flags & FLAG_FIN) b0 |= 0x80;
  if (flags & FLAG_RSV1) b0 |= 0x40;
  if (flags & FLAG_RSV2) b0 |= 0x20;
  if (flags & FLAG_RSV3) b0 |= 0x10;
  store<u8>(ptr, u8(b0));
  const maskBit: u32 = masked ? 0x80 : 0;
  let at = ptr + 2;
  if (length < 126) {
    store<u8>(ptr, u8(maskBit | u32(length)), 1);
  } else if (length < 65536) {
    store<u8>(ptr, u8(maskBit | 126), 1);
    store<u16>(at, bswap<u16>(u16(u32(length))));
    at += 2;
  } else {
    store<u8>(ptr, u8(maskBit | 127), 1);
    const high = u32(Math.floor(length / 4294967296.0));
    const low = u32(length - f64(high) * 4294967296.0);
    store<u32>(at, bswap<u32>(high));
    store<u32>(at, bswap<u32>(low), 4);
    at += 8;
  }
  if (masked) store<u32>(at, bswap<u32>(key));
  return ptr;
}
