import { describe, expect, it } from 'vitest';
import { prepare } from '../../src/frame/prepared';

describe('PreparedMessage.compressedPayload', () => {
  it('compresses once per key, shared by every caller', async () => {
    const message = prepare('x'.repeat(2000));
    let calls = 0;
    const compress = async () => { calls++; return new Uint8Array([calls]); };
    const [a, b] = await Promise.all([message.compressedPayload('k', compress), message.compressedPayload('k', compress)]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    await message.compressedPayload('other', compress);
    expect(calls).toBe(2);
  });

  it('forgets a failed compression: the next caller compresses again and gets a result', async () => {
    const message = prepare('x'.repeat(2000));
    await expect(message.compressedPayload('k', () => Promise.reject(new Error('zlib failed')))).rejects.toThrow('zlib failed');
    await new Promise((r) => setImmediate(r));
    expect(await message.compressedPayload('k', async () => new Uint8Array([7]))).toEqual(new Uint8Array([7]));
  });
});
