import type { FrameCodec } from './codec';
import { SCAN_FORBID_MASK, ST_OPTIONS } from './constants';
import { js } from './js/index';
import { scanWith, type ScanKernels } from './js/scan';
import { findNativeUtf8, streamingOver, type StreamingUtf8, type WholeUtf8 } from './native-utf8';
import { createWasmCodec, type WasmCodec } from './wasm/codec';
import { loadKernels, type WasmLoadResult } from './wasm/instance';

/** Which codec a server, Upgrader or dial uses. */
export type CodecKind = 'auto' | 'wasm' | 'js';

/**
 * Below this many bytes, 'auto' validates UTF-8 in JavaScript: copying a foreign array into
 * linear memory costs more than the SIMD validator saves. See bench/RESULTS.md.
 */
export const WASM_MIN_BYTES = 256;

/** True in Bun, whose engine (JavaScriptCore) runs the JavaScript masking loop much faster than V8. */
const IS_JAVASCRIPTCORE = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

/**
 * Below this many bytes, 'auto' masks in JavaScript. The word loop runs ~6-9 GB/s in V8
 * (Node, Deno), the WASM kernel with its copy in and out ~6 GB/s at 1 KiB and ~25 GB/s from
 * 16 KiB; JavaScriptCore (Bun) runs the word loop at ~20 GB/s, so WASM only pays above
 * 8 KiB there. See bench/RESULTS.md.
 */
export const WASM_MASK_MIN_BYTES = IS_JAVASCRIPTCORE ? 8192 : 2048;

/**
 * Below this many bytes, 'auto' scans a chunk in JavaScript: one WASM scan costs ~200 ns of
 * fixed overhead (state and records across the boundary, the chunk copied in and out), which
 * a chunk of one or a few tiny frames does not win back. See bench/RESULTS.md.
 */
export const WASM_SCAN_MIN_BYTES = 256;

/** Thrown by every method of an unavailable wasm codec, and by selectCodec('wasm'). */
export class CodecUnavailableError extends Error {
  /** Stable error code. */
  readonly code = 'WS_ERR_CODEC_UNAVAILABLE';
  constructor(cause: Error) {
    super(`the wasm codec is unavailable: ${cause.message}`, { cause });
    this.name = 'CodecUnavailableError';
  }
}

/** Everything the codec module knows about its WASM, for one WebAssembly implementation. */
export interface CodecSet {
  /** The WASM codec, or a stand-in that throws CodecUnavailableError from every method. */
  readonly wasm: FrameCodec;
  /**
   * The mixed codec: js for small inputs and header ops, wasm above, the runtime's native
   * UTF-8 validator where it has one. Without WASM: js (with the native validator).
   */
  readonly auto: FrameCodec;
  /** Why WASM could not be used; null when it can. */
  readonly wasmError: Error | null;
  /** Returns the codec for `kind`; 'wasm' throws CodecUnavailableError when WASM is missing. */
  select(kind: CodecKind): FrameCodec;
}

function unavailableCodec(error: Error): FrameCodec {
  const fail = (): never => { throw new CodecUnavailableError(error); };
  return { name: 'wasm', simd: false, parseHeader: fail, writeHeader: fail, mask: fail, utf8: fail, scan: fail };
}

/**
 * The codec without WASM: js, with the runtime's native UTF-8 validator where it has one
 * (same results: see native-utf8.ts). The plain js codec otherwise.
 */
function jsCodec(nativeUtf8: StreamingUtf8 | null): FrameCodec {
  if (nativeUtf8 === null) return js;
  const kernels: ScanKernels = { mask: js.mask, utf8: nativeUtf8 };
  return {
    ...js,
    utf8: nativeUtf8,
    scan: (buf, start, end, state, records) => scanWith(kernels, buf, start, end, state, records),
  };
}

function autoCodec(wasm: WasmCodec, nativeUtf8: StreamingUtf8 | null): FrameCodec {
  const utf8: StreamingUtf8 = nativeUtf8
    ?? ((buf, start, end, state) => (end - start < WASM_MIN_BYTES ? js : wasm).utf8(buf, start, end, state));
  // Unmasked frames (what a client reads) need no masking pass: scanned in place in
  // JavaScript, without the WASM scan's copy into linear memory and back; only text goes
  // through the fastest validator.
  const unmaskedKernels: ScanKernels = { mask: js.mask, utf8 };
  return {
    name: 'wasm',
    simd: wasm.simd,
    parseHeader: js.parseHeader,
    writeHeader: js.writeHeader,
    mask: (buf, start, end, key, phase) =>
      (end - start < WASM_MASK_MIN_BYTES ? js : wasm).mask(buf, start, end, key, phase),
    maskInto: (src, start, end, dst, dstStart, key, phase) => {
      if (end - start >= WASM_MASK_MIN_BYTES) return wasm.maskInto!(src, start, end, dst, dstStart, key, phase);
      dst.set(src.subarray(start, end), dstStart);
      return js.mask(dst, dstStart, dstStart + end - start, key, phase);
    },
    utf8,
    scan: (buf, start, end, state, records) => {
      if ((state[ST_OPTIONS] & SCAN_FORBID_MASK) !== 0) return scanWith(unmaskedKernels, buf, start, end, state, records);
      return (end - start < WASM_SCAN_MIN_BYTES ? js : wasm).scan(buf, start, end, state, records);
    },
  };
}

/**
 * Builds the codec set from a load result and the runtime's whole-buffer UTF-8 validator
 * (tests pass a failed load to simulate no WASM, and null to simulate no native validator).
 * 'wasm' and 'js' are the kernels as built; 'auto' is the fastest mix for this runtime.
 */
export function createCodecSet(load: WasmLoadResult, wholeUtf8: WholeUtf8 | null = findNativeUtf8()): CodecSet {
  const nativeUtf8 = wholeUtf8 === null ? null : streamingOver(wholeUtf8);
  if (!load.ok) {
    const wasm = unavailableCodec(load.error);
    const auto = jsCodec(nativeUtf8);
    return {
      wasm, auto, wasmError: load.error,
      select: (kind) => {
        if (kind === 'wasm') throw new CodecUnavailableError(load.error);
        return kind === 'js' ? js : auto;
      },
    };
  }
  const wasm = createWasmCodec(load.kernels, load.simd);
  const auto = autoCodec(nativeUtf8 === null ? wasm : createWasmCodec(load.kernels, load.simd, nativeUtf8), nativeUtf8);
  return {
    wasm, auto, wasmError: null,
    select: (kind) => (kind === 'js' ? js : kind === 'wasm' ? wasm : auto),
  };
}

/** The process-wide set, compiled synchronously on first import. */
export const codecs: CodecSet = createCodecSet(loadKernels());

/** The codec for `kind`. 'auto' falls back to js when WASM is unavailable (see wasmError). */
export function selectCodec(kind: CodecKind = 'auto'): FrameCodec {
  return codecs.select(kind);
}
