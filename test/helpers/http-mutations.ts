/** Seeded mutations of HTTP heads, for the differential tests against llhttp. */

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x22, 0x28, 0x2c, 0x2f, 0x3a, 0x3b, 0x3d, 0x40, 0x5c, 0x7f, 0x80, 0xff];
/** Header lines a mutation may insert: each one a way some parser has been fooled. */
export const TRICKY_LINES = [
  'Host: evil.example', ' folded', '\tfolded', 'Content-Length: 5', 'Content-Length: 0', 'Transfer-Encoding: chunked',
  'X\x00: y', ': empty', 'X :y', 'Origin: https://evil.example', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  '__proto__: x', 'constructor: y', 'Upgrade: h2c', 'Connection: close', 'X: a\nOrigin: https://evil.example', 'X: a\rb',
];

/** 1-3 random edits of `seed`: bytes inserted, replaced or deleted, lines inserted or repeated, CRLFs broken, case flipped. */
export function mutate(seed: string, random: () => number, tricky: readonly string[] = TRICKY_LINES): Uint8Array {
  const bytes = Array.from(seed, (c) => c.charCodeAt(0));
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const at = () => Math.floor(random() * bytes.length);
  const aByte = () => (random() < 0.7 ? pick(INTERESTING) : Math.floor(random() * 256));
  const lineStarts = () => bytes.flatMap((b, i) => (b === 0x0a && i + 1 < bytes.length - 2 ? [i + 1] : []));
  const steps = 1 + Math.floor(random() * 3);
  for (let s = 0; s < steps; s++) {
    switch (Math.floor(random() * 7)) {
      case 0: bytes.splice(at(), 0, aByte()); break;
      case 1: bytes[at()] = aByte(); break;
      case 2: bytes.splice(at(), 1); break;
      case 3: bytes.splice(pick(lineStarts()) ?? 0, 0, ...Array.from(`${pick(tricky)}\r\n`, (c) => c.charCodeAt(0))); break;
      case 4: {
        const starts = lineStarts();
        const start = pick(starts) ?? 0;
        const end = bytes.indexOf(0x0a, start) + 1;
        if (end > start) bytes.splice(start, 0, ...bytes.slice(start, end));
        break;
      }
      case 5: {
        const crs = bytes.flatMap((b, i) => (b === 0x0d && bytes[i + 1] === 0x0a ? [i] : []));
        const cr = pick(crs);
        if (cr !== undefined) bytes.splice(random() < 0.5 ? cr : cr + 1, 1); // leaves a bare LF or a bare CR
        break;
      }
      default: {
        const i = at();
        const c = bytes[i];
        if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) bytes[i] = c ^ 0x20;
      }
    }
  }
  return Uint8Array.from(bytes);
}

/** Same fields as multisets grouped by name (wasmws groups repeats; order within a name kept). */
export function sameFields(a: [string, string][], b: [string, string][]): boolean {
  const group = (fields: [string, string][]) => {
    const map = new Map<string, string[]>();
    for (const [n, v] of fields) map.set(n, [...(map.get(n) ?? []), v]);
    return [...map.entries()].sort(([x], [y]) => (x < y ? -1 : 1));
  };
  return JSON.stringify(group(a)) === JSON.stringify(group(b));
}

