import { UTF8_ACCEPT, UTF8_REJECT } from "./shared/status";
import { UTF8_STATES, utf8Next } from "./shared/utf8-dfa";

/** state * 256 + byte -> next state. Filled once at instantiation from the portable rules. */
const TABLE: usize = memory.data(UTF8_STATES * 256);
for (let state = 0; state < UTF8_STATES; state++) {
  for (let byte = 0; byte < 256; byte++) {
    store<u8>(TABLE + (state << 8) + byte, u8(utf8Next(state, byte)));
  }
}

// @ts-ignore: decorator
@inline function step(state: u32, ptr: usize): u32 {
  return load<u8>(TABLE + (state << 8) + load<u8>(ptr));
}

/**
 * Streaming UTF-8 validation of [ptr, ptr + len), continuing from `state`.
 * Returns UTF8_ACCEPT (ends between characters), UTF8_REJECT (some prefix is invalid), or
 * another state (inside a character) to pass with the next bytes. The result is exactly the
 * DFA's (shared/utf8-dfa.ts), however the bytes are walked:
 *
 * 1. A character left open by the previous call is finished with the DFA.
 * 2. With SIMD, whole 16-byte blocks are checked by classifying byte pairs with nibble
 *    lookups (the "lookup" method of Keiser & Lemire, 2021); an ASCII block costs one test.
 *    A character cut by the last block's end is handed back to the DFA.
 * 3. The DFA finishes the tail (ASCII skipped 8 bytes at a time without SIMD).
 */
export function validateUtf8Unsafe(ptr: usize, len: usize, state: u32): u32 {
  const end = ptr + len;
  while (state != UTF8_ACCEPT && ptr < end) {
    state = step(state, ptr++);
    if (state == UTF8_REJECT) return UTF8_REJECT;
  }
  if (ASC_FEATURE_SIMD && end - ptr >= 16) {
    const blocksEnd = ptr + ((end - ptr) & ~usize(15));
    let prev = i8x16.splat(0);
    let error = i8x16.splat(0);
    while (ptr < blocksEnd) {
      const input = v128.load(ptr);
      if (i8x16.bitmask(input) == 0) {
        error = v128.or(error, incompleteAtEnd(prev)); // ASCII after an open character
      } else {
        error = v128.or(error, blockErrors(input, prev));
      }
      prev = input;
      ptr += 16;
    }
    if (v128.any_true(error)) return UTF8_REJECT;
    ptr -= openTailLength(ptr);
  }
  while (ptr < end) {
    if (state == UTF8_ACCEPT) {
      while (ptr + 8 <= end && (load<u64>(ptr) & 0x8080808080808080) == 0) ptr += 8;
      if (ptr >= end) break;
    }
    state = step(state, ptr++);
    if (state == UTF8_REJECT) return UTF8_REJECT;
  }
  return state;
}

// Error classes of a byte pair (previous byte, this byte). A pair is valid when the
// classes its three nibbles allow have nothing in common.
const TOO_SHORT: u8 = 1 << 0; // lead byte, then no continuation
const TOO_LONG: u8 = 1 << 1; // ASCII, then a continuation
const OVERLONG_3: u8 = 1 << 2; // E0 80..9F
const TOO_LARGE: u8 = 1 << 3; // F4 90..BF, F5..FF ...
const SURROGATE: u8 = 1 << 4; // ED A0..BF
const OVERLONG_2: u8 = 1 << 5; // C0..C1
const TOO_LARGE_1000: u8 = 1 << 6; // F5..FF 80..8F
const OVERLONG_4: u8 = 1 << 6; // F0 80..8F
const TWO_CONTS: u8 = 1 << 7; // continuation, continuation (valid only inside 3/4-byte forms)
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

/** Classes allowed by the previous byte's high nibble. */
// @ts-ignore: decorator
@inline function byte1High(nibbles: v128): v128 {
  return i8x16.swizzle(i8x16(
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
    <i8>TWO_CONTS, <i8>TWO_CONTS, <i8>TWO_CONTS, <i8>TWO_CONTS,
    TOO_SHORT | OVERLONG_2,
    TOO_SHORT,
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
  ), nibbles);
}

/** Classes allowed by the previous byte's low nibble. */
// @ts-ignore: decorator
@inline function byte1Low(nibbles: v128): v128 {
  return i8x16.swizzle(i8x16(
    <i8>(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4),
    <i8>(CARRY | OVERLONG_2),
    <i8>CARRY,
    <i8>CARRY,
    <i8>(CARRY | TOO_LARGE),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
  ), nibbles);
}

/** Classes allowed by this byte's high nibble. */
// @ts-ignore: decorator
@inline function byte2High(nibbles: v128): v128 {
  return i8x16.swizzle(i8x16(
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4),
    <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
    <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
    <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  ), nibbles);
}

/** Non-zero lanes where the 16 bytes at `input` (after `prev`) break a UTF-8 rule. */
// @ts-ignore: decorator
@inline function blockErrors(input: v128, prev: v128): v128 {
  const lowNibble = i8x16.splat(0x0f);
  const prev1 = i8x16.shuffle(prev, input, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const special = v128.and(
    v128.and(byte1High(i8x16.shr_u(prev1, 4)), byte1Low(v128.and(prev1, lowNibble))),
    byte2High(i8x16.shr_u(input, 4)),
  );
  // A continuation pair is only valid as the 2nd/3rd byte of a 3-byte form or the 3rd/4th
  // of a 4-byte form: exactly where the byte 2 or 3 back is a 3- or 4-byte lead.
  const prev2 = i8x16.shuffle(prev, input, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
  const prev3 = i8x16.shuffle(prev, input, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
  const third = i8x16.sub_sat_u(prev2, i8x16.splat(<i8>(0xe0 - 0x80)));
  const fourth = i8x16.sub_sat_u(prev3, i8x16.splat(<i8>(0xf0 - 0x80)));
  const mustContinue = v128.and(v128.or(third, fourth), i8x16.splat(<i8>0x80));
  return v128.xor(mustContinue, special);
}

/** Non-zero lanes when the block ends inside a character (its last 3 bytes hold a lead). */
// @ts-ignore: decorator
@inline function incompleteAtEnd(block: v128): v128 {
  return i8x16.gt_u(block, i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, <i8>0xef, <i8>0xdf, <i8>0xbf));
}

/** Bytes of an unfinished character just before `ptr` (0-3): the DFA re-reads them. */
// @ts-ignore: decorator
@inline function openTailLength(ptr: usize): usize {
  if (load<u8>(ptr - 1) >= 0xc0) return 1;
  if (load<u8>(ptr - 2) >= 0xe0) return 2;
  if (load<u8>(ptr - 3) >= 0xf0) return 3;
  return 0;
}
