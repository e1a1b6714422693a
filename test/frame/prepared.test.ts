import { describe, expect, it } from 'vitest';
import { selectCodec } from '../../src/codec/select';
import { prepare } from '../../src/frame/prepared';
import { FrameWriter } from '../../src/frame/writer';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { serve } from '../../src/server';

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

describe('a PreparedMessage sent to many connections', () => {
  it('waits its turn behind a streamed message on one connection without disturbing the others', async () => {
    const serverSide: Conn[] = [];
    const server = await serve({ port: 0, compression: false, pingIntervalMs: 0 }, (conn) => { serverSide.push(conn); });
    try {
      const url = `ws://127.0.0.1:${server.address().port}/`;
      const clients = [await dial(url, { compression: false }), await dial(url, { compression: false })];
      while (serverSide.length < 2) await new Promise((r) => setTimeout(r, 5));
      const [a, b] = serverSide;
      const writer = await a.nextWriter('text');
      await writer.write(new TextEncoder().encode('streamed '));
      const shared = prepare('shared');
      const sentA = a.send(shared); // behind the open stream: queued in A's line
      await b.send(shared); // goes at once on B
      expect((await clients[1].read()).text()).toBe('shared');
      await writer.write(new TextEncoder().encode('message'));
      await writer.close();
      await sentA;
      expect((await clients[0].read()).text()).toBe('streamed message');
      expect((await clients[0].read()).text()).toBe('shared');
      await b.send(shared); // the frames are still intact for a later send
      expect((await clients[1].read()).text()).toBe('shared');
      for (const c of clients) c.terminate();
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  });
});
