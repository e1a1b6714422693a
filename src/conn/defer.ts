import { setImmediate } from 'node:timers';

/**
 * Runs `fn` at the end of this turn of the event loop: after the I/O callbacks and the
 * microtasks they started. Work queued during one socket read is batched up to this point.
 * Taken from node:timers because Deno has no global setImmediate, and setTimeout(0) would
 * add a millisecond to every flush.
 */
export function defer(fn: () => void): void {
  setImmediate(fn);
}
