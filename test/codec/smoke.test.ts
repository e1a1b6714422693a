import { describe, expect, it } from 'vitest';
import { js, wasm } from '../../src/codec/index';
describe('smoke', () => {
  it('masks the same', () => {
    const a = new Uint8Array(1000).map((_, i) => i);
    const b = a.slice();
    expect(js.mask(a, 3, 997, 0x37fa213d, 1)).toBe(wasm.mask(b, 3, 997, 0x37fa213d, 1));
    expect(a).toEqual(b);
  });
});
