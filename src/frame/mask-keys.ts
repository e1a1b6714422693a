/** Keys drawn per refill: one getRandomValues call serves 1024 frames. */
const KEYS_PER_REFILL = 1024;

/**
 * Fresh masking keys from a pooled crypto-strength source. RFC 6455 §5.3 requires each
 * client frame's key to be unpredictable; one crypto call per frame would cost more than
 * masking a small frame, so keys are drawn in batches.
 */
export class MaskKeyPool {
  private readonly keys = new Uint32Array(KEYS_PER_REFILL);
  private next = KEYS_PER_REFILL;

  /** The next key, as a big-endian u32. */
  take(): number {
    if (this.next === KEYS_PER_REFILL) {
      globalThis.crypto.getRandomValues(this.keys);
      this.next = 0;
    }
    return this.keys[this.next++];
  }
}

/** The process-wide pool. */
export const maskKeys = new MaskKeyPool();
