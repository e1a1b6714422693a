import { describe, expect, it } from 'vitest';
import { selectCodec } from '../../src/codec/select';
import { prepare } from '../../src/frame/prepared';
import { FrameWriter } from '../../src/frame/writer';

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

describe('PreparedMessage.frames', () => {
  const js = selectCodec('js');
  const server = (maxFrameBytes: number) => new FrameWriter({ role: 'server', codec: js, maxFrameBytes });
  const joined = (frames: readonly Uint8Array[]) => Array.from(frames, (f) => Array.from(f));

  it('encodes once per framing and shares the frames; each framing gets its own fragments', () => {
    const message = prepare('abcdefghij');
    const whole = server(1 << 20);
    const small = server(4);
    const first = message.frames(whole, 1 << 20);
    expect(message.frames(whole, 1 << 20)).toBe(first);
    const fragmented = message.frames(small, 4);
    expect(fragmented).toHaveLength(3); // 4 + 4 + 2 bytes
    expect(message.frames(small, 4)).toBe(fragmented);
    expect(message.frames(whole, 1 << 20)).toBe(first);
    expect(joined(first)).toEqual([[0x81, 10, ...Array.from(new TextEncoder().encode('abcdefghij'))]]);
  });

  it('masks afresh for every client send (nothing cached)', () => {
    const message = prepare('abc');
    const client = new FrameWriter({ role: 'client', codec: js, maxFrameBytes: 1 << 20 });
    const a = message.frames(client, 1 << 20);
    const b = message.frames(client, 1 << 20);
    expect(a).not.toBe(b);
    expect(a[0][1] & 0x80).toBe(0x80);
  });
});
