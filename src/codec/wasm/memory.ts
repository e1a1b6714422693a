import type { WasmKernels } from './instance';

const PAGE_BYTES = 65536;

/**
 * Typed views over the kernels' linear memory. `memory.grow` detaches the old ArrayBuffer,
 * so every view is re-created whenever `memory.buffer` changes identity; callers take a view
 * per operation and never keep one across a call that may grow memory.
 */
export class LinearMemory {
  readonly arenaPtr: number;
  private buffer: ArrayBuffer;
  private u8: Uint8Array;
  private f64: Float64Array;

  constructor(private readonly kernels: WasmKernels) {
    this.arenaPtr = kernels.arenaPtr();
    this.buffer = kernels.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /** All of memory as bytes. */
  bytes(): Uint8Array {
    if (this.kernels.memory.buffer !== this.buffer) this.refresh();
    return this.u8;
  }

  /** All of memory as f64 slots (index = byte offset / 8). */
  float64(): Float64Array {
    if (this.kernels.memory.buffer !== this.buffer) this.refresh();
    return this.f64;
  }

  /** True when `view` lies inside linear memory (so kernels can work on it in place). */
  contains(view: Uint8Array): boolean {
    return view.buffer === this.kernels.memory.buffer;
  }

  /** Makes sure the arena holds at least `byteLength` bytes; grows memory when it does not. */
  reserveArena(byteLength: number): void {
    const needed = this.arenaPtr + byteLength;
    const have = this.kernels.memory.buffer.byteLength;
    if (needed > have) this.kernels.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
  }

  /** Bytes of linear memory now, for tests and diagnostics. */
  get byteLength(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  private refresh(): void {
    this.buffer = this.kernels.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }
}
