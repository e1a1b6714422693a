// Shared by the runtime scripts (suite.mjs, transport.mjs): plain ESM that node,
// deno and bun all run, no test framework.

/** A check that throws `<label>: <message>` when its condition is false. */
export function checker(label) {
  return (condition, message) => {
    if (!condition) throw new Error(`${label}: ${message}`);
  };
}

/** `size` bytes of a pattern that `seed` shifts. */
export function bytes(size, seed = 1) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Byte-for-byte equality. */
export function same(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
