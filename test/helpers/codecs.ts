import type { FrameCodec } from '../../src/codec/codec';
import { js } from '../../src/codec/js/index';
import { codecs, createCodecSet } from '../../src/codec/select';
import { findNativeUtf8, streamingOver } from '../../src/codec/native-utf8';
import { createWasmCodec } from '../../src/codec/wasm/codec';
import { loadKernels, type WasmKernels } from '../../src/codec/wasm/instance';

const scalar = createCodecSet(loadKernels(globalThis.WebAssembly, ['scalar']));
/** The runtime's own isUtf8 where it has one, else TextDecoder(fatal) standing in for it. */
const wholeUtf8 = findNativeUtf8() ?? ((bytes: Uint8Array) => { try { fatal.decode(bytes); return true; } catch { return false; } });
const fatal = new TextDecoder('utf-8', { fatal: true });
/** auto where the runtime has no native validator (the DFA and the WASM kernel validate). */
const withoutNative = createCodecSet(loadKernels(), null);
/** No WASM: js with a whole-buffer validator (the native one where there is one), down to 1 byte. */
const jsWithNative = createCodecSet(loadKernels(null), wholeUtf8);
/** wasm whose text goes to the whole-buffer validator from the first byte (threshold 0). */
const loaded = loadKernels() as { kernels: WasmKernels; simd: boolean };
const wasmWithNative = createWasmCodec(loaded.kernels, loaded.simd, streamingOver(wholeUtf8, 0));

/** A codec under test, with a name for describe.each. */
export interface NamedCodec {
  name: string;
  codec: FrameCodec;
}

/** Every codec a test should hold to the same results: js, wasm (SIMD), wasm (scalar), auto. */
export function availableCodecs(): NamedCodec[] {
  return [
    { name: 'js', codec: js },
    { name: 'wasm-simd', codec: codecs.wasm },
    { name: 'wasm-scalar', codec: scalar.wasm },
    { name: 'auto', codec: codecs.auto },
    { name: 'auto-without-native-utf8', codec: withoutNative.auto },
    { name: 'js-with-native-utf8', codec: jsWithNative.auto },
    { name: 'wasm-with-native-utf8', codec: wasmWithNative },
  ];
}

/** Bytes from a hex string with optional spaces. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The obviously-correct masking loop every codec is compared with. */
export function referenceMask(buf: Uint8Array, start: number, end: number, key: number, phase: number): number {
  for (let i = start; i < end; i++) {
    buf[i] ^= (key >>> (24 - (((phase + i - start) & 3) << 3))) & 0xff;
  }
  return (phase + end - start) & 3;
}
