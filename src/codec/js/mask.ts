const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes a plain byte loop beats the word loop's set-up. */
const WORD_LOOP_MIN_BYTES = 32;

/**
 * A word view over the whole ArrayBuffer last masked, reused while buffers repeat (the
 * writer's slab, a socket's chunk masked in pieces): creating a view costs as much as
 * masking ~200 bytes.
 */
let lastBuffer: ArrayBufferLike | null = null;
let lastWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

function wordsOf(buffer: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  // A resizable buffer can change length under a cached fixed-length view: never cache one.
  if ((buffer as { resizable?: boolean }).resizable) return new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  if (buffer !== lastBuffer || lastWords.length !== buffer.byteLength >>> 2) {
    lastBuffer = buffer;
    lastWords = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return lastWords;
}

/** Key byte `phase` (0-3) of a big-endian key word. */
function keyByte(key: number, phase: number): number {
  return (key >>> (24 - (phase << 3))) & 0xff;
}

/** The 32-bit word that masks 4 bytes starting at key byte `phase`, in platform byte order. */
function keyWord(key: number, phase: number): number {
  const shift = phase << 3;
  if (LITTLE_ENDIAN) {
    const swapped = ((key & 0xff) << 24) | ((key & 0xff00) << 8) | ((key >>> 8) & 0xff00) | (key >>> 24);
    return shift === 0 ? swapped | 0 : (swapped >>> shift) | (swapped << (32 - shift));
  }
  return shift === 0 ? key | 0 : (key << shift) | (key >>> (32 - shift));
}

/**
 * XORs buf[start, end) with the key from key byte `phase`. RFC 6455 §5.3.
 * Bytes up to the first 4-byte-aligned address go one at a time, the aligned middle as
 * 32-bit words, 8 per iteration, then the tail bytes.
 */
export function mask(buf: Uint8Array, start: number, end: number, key: number, phase: number): number {
  let i = start;
  phase &= 3;
  if (end - start >= WORD_LOOP_MIN_BYTES) {
    while (((buf.byteOffset + i) & 3) !== 0) {
      buf[i++] ^= keyByte(key, phase);
      phase = (phase + 1) & 3;
    }
    const count = (end - i) >>> 2;
    const words = wordsOf(buf.buffer);
    const word = keyWord(key, phase);
    let w = (buf.byteOffset + i) >>> 2;
    const last = w + count;
    for (const unrolled = w + (count & ~7); w < unrolled; w += 8) {
      words[w] ^= word;
      words[w + 1] ^= word;
      words[w + 2] ^= word;
      words[w + 3] ^= word;
      words[w + 4] ^= word;
      words[w + 5] ^= word;
      words[w + 6] ^= word;
      words[w + 7] ^= word;
    }
    for (; w < last; w++) words[w] ^= word;
    i += count << 2;
  }
  for (; i < end; i++) {
    buf[i] ^= keyByte(key, phase);
    phase = (phase + 1) & 3;
  }
  return phase;
}
