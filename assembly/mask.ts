/**
 * XORs [ptr, ptr + len) with `key` (the 4 key bytes read big-endian) starting at key byte
 * `phase`. RFC 6455 §5.3. Masking and unmasking are the same operation.
 * Returns the phase for the byte after the last one. Caller guarantees the range is in bounds.
 *
 * With SIMD: 64 then 16 bytes per step; without: 8 bytes per step. Every step is a multiple
 * of 4 bytes, so the key word never needs re-rotating until the byte tail.
 */
export function maskUnsafe(ptr: usize, len: usize, key: u32, phase: u32): u32 {
  const end = ptr + len;
  // Little-endian word whose first byte is key byte `phase`.
  let word = rotr<u32>(bswap<u32>(key), (phase & 3) << 3);
  if (ASC_FEATURE_SIMD) {
    const wide = i32x4.splat(word);
    while (ptr + 64 <= end) {
      v128.store(ptr, v128.xor(v128.load(ptr), wide));
      v128.store(ptr, v128.xor(v128.load(ptr, 16), wide), 16);
      v128.store(ptr, v128.xor(v128.load(ptr, 32), wide), 32);
      v128.store(ptr, v128.xor(v128.load(ptr, 48), wide), 48);
      ptr += 64;
    }
    while (ptr + 16 <= end) {
      v128.store(ptr, v128.xor(v128.load(ptr), wide));
      ptr += 16;
    }
  }
  const long = (u64(word) << 32) | u64(word);
  while (ptr + 8 <= end) {
    store<u64>(ptr, load<u64>(ptr) ^ long);
    ptr += 8;
  }
  while (ptr < end) {
    store<u8>(ptr, load<u8>(ptr) ^ u8(word));
    word = rotr<u32>(word, 8);
    ptr++;
  }
  return (phase + u32(len)) & 3;
}
