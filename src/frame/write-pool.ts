import { allocForOverwrite } from './alloc';
import { sharedSlab } from './slab';

/** The smallest pooled buffer (output up to 8 KiB comes from the slab instead). */
const MIN_CLASS_SHIFT = 14; // 16 KiB
/** The largest pooled buffer: larger output is allocated for the one write. */
const MAX_CLASS_SHIFT = 20; // 1 MiB
/** The most bytes kept idle in the pool, over every size. */
const MAX_IDLE_BYTES = 8 * 1024 * 1024;

/**
 * Reusable buffers for output that is larger than a slab region and lives only until the
 * socket has written it: a client's masked frames, and the small frames of one turn joined
 * into one write. A fresh 64 KiB buffer costs its page faults and a garbage collection
 * later; a pooled one is warm (gorilla pools its write buffers the same way). Buffers come
 * in power-of-two sizes; whoever writes one to the socket gives it back from the write's
 * callback, when the socket no longer reads it. One not given back is simply collected.
 */
export class WriteBufferPool {
  private readonly idle: Uint8Array[][] = [];
  private idleBytes = 0;
  /** The backing buffers handed out and not yet given back. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(private readonly maxIdleBytes = MAX_IDLE_BYTES) {
    for (let shift = MIN_CLASS_SHIFT; shift <= MAX_CLASS_SHIFT; shift++) this.idle.push([]);
  }

  /**
   * A buffer of `byteLength` bytes for the caller to overwrite whole (contents unspecified).
   * Sizes past the largest class get a buffer of their own, which give() ignores.
   */
  take(byteLength: number): Uint8Array {
    if (byteLength > 1 << MAX_CLASS_SHIFT) return allocForOverwrite(byteLength);
    const shift = Math.max(MIN_CLASS_SHIFT, 32 - Math.clz32(byteLength - 1));
    let buffer = this.idle[shift - MIN_CLASS_SHIFT].pop();
    if (buffer !== undefined) this.idleBytes -= buffer.byteLength;
    else buffer = allocForOverwrite(1 << shift);
    this.lent.add(buffer.buffer);
    return buffer.subarray(0, byteLength);
  }

  /** True when `view` is a buffer this pool lent and has not had back. */
  isLent(view: Uint8Array): boolean {
    return this.lent.has(view.buffer);
  }

  /** Gives a buffer back: nothing may read or write `view` afterwards. */
  give(view: Uint8Array): void {
    const backing = view.buffer;
    if (!this.lent.delete(backing)) return;
    if (this.idleBytes + backing.byteLength > this.maxIdleBytes) return; // let it be collected
    const shift = 31 - Math.clz32(backing.byteLength);
    this.idle[shift - MIN_CLASS_SHIFT].push(new Uint8Array(backing));
    this.idleBytes += backing.byteLength;
  }

  /** Bytes held idle, ready to be lent. */
  get idleByteCount(): number {
    return this.idleBytes;
  }
}

/** The process-wide pool (JavaScript is single-threaded per isolate). */
export const writePool = new WriteBufferPool();

/**
 * Output for the socket: a slab region when small, a pooled buffer otherwise. Give pooled
 * ones back once written (see Outbox); slab regions need nothing.
 */
export function takeOutput(byteLength: number): Uint8Array {
  return byteLength <= sharedSlab.maxRegionBytes ? sharedSlab.take(byteLength) : writePool.take(byteLength);
}

/** True when `view` is takeOutput's pooled output, to give back to writePool once written. */
export function isPooledOutput(view: Uint8Array): boolean {
  return view.byteLength > sharedSlab.maxRegionBytes && writePool.isLent(view);
}
