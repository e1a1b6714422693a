import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from './binary';

/** The raw exports of assembly/index.ts. Pointers and lengths are byte offsets into memory. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  readonly HAS_SIMD: WebAssembly.Global;
  readonly HEADER_OUT: WebAssembly.Global;
  readonly MAX_RECORDS: WebAssembly.Global;
  maskUnsafe(ptr: number, len: number, key: number, phase: number): number;
  validateUtf8Unsafe(ptr: number, len: number, state: number): number;
  parseHeaderUnsafe(ptr: number, avail: number): number;
  writeHeaderUnsafe(endPtr: number, flags: number, length: number, key: number): number;
  scanFramesUnsafe(ptr: number, len: number, state: number, records: number, maxRecords: number): number;
  scanStatePtr(): number;
  recordsPtr(): number;
  arenaPtr(): number;
}

/** What instantiation gave: kernels, or the reason there are none. */
export type WasmLoadResult =
  | { ok: true; kernels: WasmKernels; simd: boolean }
  | { ok: false; error: Error };

/** The subset of the WebAssembly namespace instantiation needs (injectable for tests). */
export interface WebAssemblyApi {
  Module: new (bytes: BufferSource) => WebAssembly.Module;
  Instance: new (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Compiles the embedded kernels synchronously: the SIMD build first, the scalar build where
 * the engine rejects v128 (tests pick one with `builds`). Never throws: a missing or failing
 * WebAssembly is a result.
 */
export function loadKernels(
  api: WebAssemblyApi | null = globalThis.WebAssembly ?? null,
  builds: readonly ('simd' | 'scalar')[] = ['simd', 'scalar'],
): WasmLoadResult {
  if (api === null || typeof api.Module !== 'function') {
    return { ok: false, error: new Error('WebAssembly is not available in this runtime') };
  }
  const failures: string[] = [];
  for (const build of builds) {
    const simd = build === 'simd';
    const base64 = simd ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64;
    try {
      const instance = new api.Instance(new api.Module(decodeBase64(base64)), {});
      return { ok: true, kernels: instance.exports as unknown as WasmKernels, simd };
    } catch (err) {
      failures.push(`${build}: ${(err as Error).message}`);
    }
  }
  return { ok: false, error: new Error(`WebAssembly instantiation failed (${failures.join('; ')})`) };
}
