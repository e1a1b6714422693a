import { describe, expect, it } from 'vitest';
import * as status from '../../assembly/shared/status';
import { js } from '../../src/codec/js/index';
import { CodecUnavailableError, codecs, createCodecSet, selectCodec } from '../../src/codec/select';
import { ARENA_WINDOW_BYTES, type WasmCodec } from '../../src/codec/wasm/codec';
import { loadKernels } from '../../src/codec/wasm/instance';
import { referenceMask } from '../helpers/codecs';

describe('the wasm codec', () => {
  it('loads the SIMD build here, and the scalar build when asked', () => {
    expect(codecs.wasmError).toBeNull();
    expect(codecs.wasm.simd).toBe(true);
    const scalar = loadKernels(globalThis.WebAssembly, ['scalar']);
    expect(scalar.ok && scalar.kernels.HAS_SIMD.value).toBe(0);
  });

  it('exports the same constants the TypeScript side uses', () => {
    const load = loadKernels();
    if (!load.ok) throw load.error;
    expect(load.kernels.MAX_RECORDS.value).toBe(1024);
    // Every status is a distinct negative number (the table in errors.ts keys on them).
    const statuses = Object.entries(status).filter(([k]) => k.startsWith('STATUS_') && k !== 'STATUS_NEED_MORE').map(([, v]) => v);
    expect(new Set(statuses).size).toBe(statuses.length);
    expect(statuses.every((v) => v < 0)).toBe(true);
  });

  it('re-creates its views when memory grows, and stays correct', () => {
    const load = loadKernels();
    if (!load.ok) throw load.error;
    const set = createCodecSet(load);
    const wasm = set.wasm as WasmCodec;
    const small = new Uint8Array(100).fill(1);
    wasm.mask(small, 0, 100, 0x01020304, 0);
    const before = wasm.memory.byteLength;
    const big = new Uint8Array(ARENA_WINDOW_BYTES + 12345).map((_, i) => i & 0xff);
    const expected = big.slice();
    referenceMask(expected, 0, expected.length, 0xcafebabe, 2);
    wasm.mask(big, 0, big.length, 0xcafebabe, 2);
    expect(wasm.memory.byteLength).toBeGreaterThan(before);
    expect(Buffer.compare(big, expected)).toBe(0);
    // Views taken after growth are over the new buffer.
    expect(wasm.memory.bytes().buffer).toBe(load.kernels.memory.buffer);
  });

  it('masks in place, with no copy, on a view of its own memory', () => {
    const wasm = codecs.wasm as WasmCodec;
    const at = wasm.memory.arenaPtr + ARENA_WINDOW_BYTES; // past the scratch window the ops use
    wasm.memory.reserveArena(ARENA_WINDOW_BYTES + 64);
    const view = wasm.memory.bytes().subarray(at, at + 64);
    view.fill(0);
    wasm.mask(view, 0, 64, 0xffffffff, 0);
    expect(view.every((b) => b === 0xff)).toBe(true);
  });
});

describe('without WebAssembly', () => {
  it('falls back to js for auto and says why', () => {
    const set = createCodecSet(loadKernels(null), null); // no WASM and no native isUtf8
    expect(set.wasmError?.message).toMatch(/not available/);
    expect(set.select('auto')).toBe(js);
    expect(set.select('js')).toBe(js);
    expect(() => set.select('wasm')).toThrow(CodecUnavailableError);
    expect(() => set.wasm.mask(new Uint8Array(4), 0, 4, 0, 0)).toThrow(/unavailable/);
  });

  it('falls back when instantiation fails, with both failures in the reason', () => {
    const failing = {
      Module: class { constructor() { throw new Error('compile refused'); } },
      Instance: class {},
    } as unknown as typeof WebAssembly;
    const set = createCodecSet(loadKernels(failing), null);
    expect(set.wasmError?.message).toMatch(/simd: compile refused; scalar: compile refused/);
    expect(set.select('auto')).toBe(js);
  });

  it('without WASM, auto is js with the native validator where the runtime has one; js stays the reference', () => {
    const calls: number[] = [];
    const set = createCodecSet(loadKernels(null), (bytes) => { calls.push(bytes.length); return true; });
    const auto = set.select('auto');
    expect(auto.name).toBe('js');
    expect(auto).not.toBe(js);
    expect(set.select('js')).toBe(js);
    expect(auto.utf8(new Uint8Array(4096).fill(0x61), 0, 4096, 0)).toBe(0);
    expect(calls).toEqual([4096]);
  });

  it('selectCodec gives the codec asked for', () => {
    expect(selectCodec('js')).toBe(js);
    expect(selectCodec('wasm').name).toBe('wasm');
    expect(selectCodec().name).toBe('wasm');
  });
});
