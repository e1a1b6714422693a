interface Deadline {
  at: number;
  expire: () => void;
}

/**
 * Deadlines that all run for the same `ms` (a server's handshake timeout): one timer for all
 * of them rather than a setTimeout and clearTimeout per connection. Since every deadline
 * is `ms` after it was added, the order of insertion is the order of expiry: the timer is
 * armed for the first entry only, and re-armed for the next one when it fires.
 */
export class Deadlines<K> {
  private readonly entries = new Map<K, Deadline>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number) {}

  /** Calls `expire` once `ms` have passed, unless `key` is deleted first. */
  add(key: K, expire: () => void): void {
    this.entries.set(key, { at: performance.now() + this.ms, expire });
    if (this.timer === undefined) this.arm(this.ms);
  }

  /** Drops `key`'s deadline (its handshake ended); the last one gone stops the timer. */
  delete(key: K): void {
    if (!this.entries.delete(key) || this.entries.size > 0 || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const [key, deadline] of this.entries) {
      if (deadline.at > now) {
        this.arm(Math.max(1, deadline.at - now));
        return;
      }
      this.entries.delete(key);
      deadline.expire();
    }
  }
}
