import { UTF8_ACCEPT, UTF8_REJECT } from './constants';
import { utf8 as dfaUtf8 } from './js/utf8';

/** A whole-buffer validator: true when `bytes` is complete, well-formed UTF-8. */
export type WholeUtf8 = (bytes: Uint8Array) => boolean;

/** A streaming validator with FrameCodec.utf8's contract. */
export type StreamingUtf8 = (buf: Uint8Array, start: number, end: number, state: number) => number;

interface Runtime {
  Deno?: unknown;
  process?: { getBuiltinModule?: (id: string) => { isUtf8?: WholeUtf8 } | undefined };
}

/**
 * The runtime's native validator: node:buffer's `isUtf8` (simdutf) in Node ≥ 20.16 and Bun,
 * reached through process.getBuiltinModule so the codec keeps no node: import. Not in Deno,
 * whose `isUtf8` measured 1-2 GB/s on mixed text, below the WASM kernel (bench/codec.bench.mjs).
 * Null where there is none: validation stays with the DFA (js) or the WASM kernel.
 */
export function findNativeUtf8(runtime: Runtime = globalThis as Runtime): WholeUtf8 | null {
  if (runtime.Deno !== undefined) return null;
  try {
    const isUtf8 = runtime.process?.getBuiltinModule?.('node:buffer')?.isUtf8;
    return typeof isUtf8 === 'function' ? isUtf8 : null;
  } catch {
    return null;
  }
}

/** Below this many bytes the DFA beats the native call (~30-60 ns of fixed cost in V8). */
export const NATIVE_UTF8_MIN_BYTES = 128;

/** Bytes a lead byte's character takes (0 for a continuation or a byte no character starts with). */
function sequenceLength(lead: number): number {
  return lead >= 0xf0 ? (lead <= 0xf4 ? 4 : 0) : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
}

/**
 * FrameCodec.utf8 over a whole-buffer validator, with exactly the DFA's results on every
 * input: a character left open by the previous call is finished by the DFA, the middle
 * (up to a character cut by `end`) goes to `whole` in one call, the cut character's bytes
 * to the DFA again. When `whole` refuses the middle, the middle holds a byte the DFA rejects
 * too (a valid prefix of UTF-8 ends at most with a cut character, and the cut is excluded),
 * so the answer is UTF8_REJECT either way. Fail-fast is unchanged: each call answers for its
 * own bytes, as the DFA does.
 */
export function streamingOver(whole: WholeUtf8, minBytes = NATIVE_UTF8_MIN_BYTES): StreamingUtf8 {
  return (buf, start, end, state) => {
    if (end - start < minBytes) return dfaUtf8(buf, start, end, state);
    let i = start;
    while (state !== UTF8_ACCEPT && i < end) {
      state = dfaUtf8(buf, i, i + 1, state);
      if (state === UTF8_REJECT) return UTF8_REJECT;
      i++;
    }
    if (state !== UTF8_ACCEPT) return state; // `end` came first: still inside that character
    // The last lead byte among the final three, when its character does not fit before `end`.
    let cut = end;
    for (let back = end - 1; back >= end - 3 && back >= i; back--) {
      const byte = buf[back];
      if (byte < 0x80) break;
      if (byte >= 0xc0) {
        if (back + sequenceLength(byte) > end) cut = back;
        break;
      }
    }
    if (cut > i && !whole(buf.subarray(i, cut))) return UTF8_REJECT;
    return cut < end ? dfaUtf8(buf, cut, end, UTF8_ACCEPT) : UTF8_ACCEPT;
  };
}
