import type { FrameCodec } from '../../src/codec/codec';
import { js } from '../../src/codec/js/index';
import { codecs, createCodecSet } from '../../src/codec/select';
import { loadKernels } from '../../src/codec/wasm/instance';

const scalar = createCodecSet(loadKernels(globalThis.WebAssembly, ['scalar']));

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
