import { UTF8_ACCEPT, UTF8_REJECT } from "./shared/status";
import { UTF8_STATES, utf8Next } from "./shared/utf8-dfa";

/** state * 256 + byte -> next state. Filled once at instantiation from the portable rules. */
const TABLE: usize = memory.data(UTF8_STATES * 256);
for (let state = 0; state < UTF8_STATES; state++) {
  for (let byte = 0; byte < 256; byte++) {
    store<u8>(TABLE + (state << 8) + byte, u8(utf8Next(state, byte)));
  }
}

/**
 * Streaming UTF-8 validation of [ptr, ptr + len), continuing from `state`.
 * Returns UTF8_ACCEPT (ends between characters), UTF8_REJECT (some prefix is invalid; returned
 * as soon as it is seen), or another state (inside a character) to pass with the next bytes.
 * Between characters, ASCII is skipped 16 bytes at a time (8 without SIMD).
 */
export function validateUtf8Unsafe(ptr: usize, len: usize, state: u32): u32 {
  const end = ptr + len;
  while (ptr < end) {
    if (state == UTF8_ACCEPT) {
      if (ASC_FEATURE_SIMD) {
        while (ptr + 16 <= end && i8x16.bitmask(v128.load(ptr)) == 0) ptr += 16;
      } else {
        while (ptr + 8 <= end && (load<u64>(ptr) & 0x8080808080808080) == 0) ptr += 8;
      }
      if (ptr >= end) break;
    }
    state = load<u8>(TABLE + (state << 8) + load<u8>(ptr));
    if (state == UTF8_REJECT) return UTF8_REJECT;
    ptr++;
  }
  return state;
}
