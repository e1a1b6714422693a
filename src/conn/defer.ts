/**
 * Runs `fn` at the end of this turn of the event loop: after the I/O callbacks and the
 * microtasks they started. Work queued during one socket read is batched up to this point.
 */
export const defer: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => { setImmediate(fn); } : (fn) => { setTimeout(fn, 0); };
