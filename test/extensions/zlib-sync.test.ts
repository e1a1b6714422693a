import { randomBytes } from 'node:crypto';
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { OP_BINARY, OP_TEXT } from '../../src/codec/constants';
import { dial } from '../../src/client';
import { ProtocolError } from '../../src/errors';
import { PerMessageDeflate, SYNC_DEFLATE_MAX_BYTES, SYNC_INFLATE_MAX_BYTES } from '../../src/extensions/permessage-deflate';
import { syncZlib } from '../../src/extensions/zlib-pool';
import { prepare } from '../../src/frame/prepared';
import { serve } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

const params = (serverNoContextTakeover: boolean, clientNoContextTakeover: boolean) =>
  ({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** A message's bytes as hex, less a trailing empty stored block the stream API may add. */
const withoutEmptyBlock = (b: Uint8Array) => { const hex = hexOf(b); return hex.endsWith('0000ffff00') ? hex.slice(0, -10) : hex; };

/** JSON-like text of about `size` bytes (compresses like the bench's), varied by `seed`. */
function jsonish(size: number, seed: number): Uint8Array {
  let s = '';
  for (let i = 0; s.length < size; i++) s += `{"id":${seed * 7919 + i},"name":"user${(seed + i) % 97}","ok":${i % 3 === 0}},`;
  return new TextEncoder().encode(s.slice(0, size));
}

/** Sizes that fall on both sides of the sync limits. */
const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: 2048 }),
  fc.integer({ min: SYNC_DEFLATE_MAX_BYTES - 64, max: SYNC_DEFLATE_MAX_BYTES + 64 }),
  fc.integer({ min: SYNC_DEFLATE_MAX_BYTES + 1, max: 3 * SYNC_DEFLATE_MAX_BYTES }),
);
const messageArb = fc.record({ size: sizeArb, seed: fc.nat(1000), random: fc.boolean() });
const bytesOf = (m: { size: number; seed: number; random: boolean }) => (m.random ? new Uint8Array(randomBytes(m.size)) : jsonish(m.size, m.seed));

describe('sync zlib (zlib-sync.ts)', () => {
  it('passes its self-check on Node 20', () => {
    expect(syncZlib()).toBe(true);
  });

  it('gives the RFC 7692 §7.2.3 bytes: "Hello" then "Hello" with the shared window', () => {
    const deflate = new PerMessageDeflate(params(false, false), 'server', { level: 6, memLevel: 8 });
    const hello = new TextEncoder().encode('Hello');
    expect(hexOf(deflate.compressNow(hello)!)).toBe('f248cdc9c90700');
    expect(hexOf(deflate.compressNow(hello)!)).toBe('f200110000');
    deflate.close();
  });

  it('gives the bytes and messages of the async path, sizes around the limits, context takeover on and off, sync and async interleaved', async () => {
    await fc.assert(fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 8 }), fc.boolean(), fc.boolean(), async (messages, noContext, awaitEach) => {
      const inputs = messages.map(bytesOf);
      // The reference: every message through the async stream API, one after the other.
      const reference = new PerMessageDeflate(params(noContext, noContext), 'server');
      const expected: Uint8Array[] = [];
      for (const input of inputs) expected.push(await reference.compress(input));
      reference.close();
      // As the sender does: now when it can be, else async; all in one turn unless awaitEach.
      const deflate = new PerMessageDeflate(params(noContext, noContext), 'server');
      const results: Promise<Uint8Array>[] = [];
      let sync = 0;
      for (const input of inputs) {
        const now = deflate.compressNow(input);
        if (now !== undefined) sync++;
        results.push(now !== undefined ? Promise.resolve(now) : deflate.compress(input));
        if (awaitEach) await results[results.length - 1];
      }
      const got = await Promise.all(results);
      // The stream API sometimes ends a message with one more, empty, stored block after its
      // sync flush (5 bytes, 00 00 ff ff then 00 once the tail is trimmed); writeSync does not.
      // Both inflate alike (checked below); apart from that block the bytes must be the same.
      expect(got.map(withoutEmptyBlock)).toEqual(expected.map(withoutEmptyBlock));
      if (inputs[0].length <= SYNC_DEFLATE_MAX_BYTES) expect(sync).toBeGreaterThan(0);
      deflate.close();
      // Inflating: the same, now or async, gives the messages back in order.
      const inflate = new PerMessageDeflate(params(noContext, noContext), 'client');
      const inflated: Promise<Uint8Array>[] = [];
      for (const wire of got) {
        const now = inflate.decompressNow(wire, 1 << 20);
        inflated.push(now !== undefined ? Promise.resolve(now) : inflate.decompress(wire, 1 << 20));
        if (awaitEach) await inflated[inflated.length - 1];
      }
      expect((await Promise.all(inflated)).map(hexOf)).toEqual(inputs.map(hexOf));
      inflate.close();
    }), { numRuns: 40 });
  }, 30_000); // 40 runs of up to 8 messages through the threadpool: seconds on a loaded machine

  it('does nothing now while an async job of the connection is queued or running, so the context stays in order', async () => {
    const deflate = new PerMessageDeflate(params(false, false), 'server');
    const big = new Uint8Array(randomBytes(SYNC_DEFLATE_MAX_BYTES + 1));
    const pending = deflate.compress(big);
    expect(deflate.compressNow(new Uint8Array(10))).toBeUndefined();
    await pending;
    await Promise.resolve();
    expect(deflate.compressNow(new Uint8Array(10))).toBeInstanceOf(Uint8Array);
    const inflate = new PerMessageDeflate(params(false, false), 'client');
    const wire = await inflate.decompress(deflateRawSync(Buffer.from('x'), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4), 100);
    expect(new TextDecoder().decode(wire)).toBe('x');
    const slow = inflate.decompress(new Uint8Array(SYNC_INFLATE_MAX_BYTES + 1), 1 << 20).catch((e: unknown) => e);
    expect(inflate.decompressNow(new Uint8Array([0x02, 0x00]), 100)).toBeUndefined();
    await slow;
    deflate.close();
    inflate.close();
  });

  it('stops a bomb under the sync limit at maxBytes with 1009, without inflating the rest', () => {
    const bomb = deflateRawSync(Buffer.alloc(16 << 20), { level: 9, finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(bomb.length).toBeLessThanOrEqual(SYNC_INFLATE_MAX_BYTES);
    const inflate = new PerMessageDeflate(params(false, false), 'client');
    const handle = Object.getPrototypeOf((createInflateRaw() as unknown as { _handle: object })._handle) as { writeSync: (...args: unknown[]) => void };
    const writeSync = vi.spyOn(handle, 'writeSync');
    let error: unknown;
    try { inflate.decompressNow(bomb, 1 << 20); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).closeCode).toBe(1009);
    // 64 KiB of output per call: 1 MiB and a bit, not the 256 calls of the full 16 MiB.
    expect(writeSync.mock.calls.length).toBeLessThanOrEqual(17);
    writeSync.mockRestore();
    inflate.close();
  });

  it('fails corrupt data under the sync path with 1007, and the connection with it', () => {
    const inflate = new PerMessageDeflate(params(false, false), 'client');
    expect(inflate.decompressNow(new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), 100)).toEqual(new TextEncoder().encode('Hello'));
    let error: unknown;
    try { inflate.decompressNow(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 100); } catch (e) { error = e; }
    expect((error as ProtocolError).closeCode).toBe(1007);
    inflate.close();
  });

  it('compresses a PreparedMessage once for every connection without context takeover, sync', () => {
    const a = new PerMessageDeflate(params(true, true), 'server');
    const b = new PerMessageDeflate(params(true, true), 'server');
    const message = prepare('prepared '.repeat(200));
    let compressions = 0;
    const one = message.compressedPayloadNow(a.shareKey!, () => { compressions++; return a.compressAloneNow(message.payload); });
    const two = message.compressedPayloadNow(b.shareKey!, () => { compressions++; return b.compressAloneNow(message.payload); });
    expect(compressions).toBe(1);
    expect(two).toBe(one);
    expect(hexOf(one!)).toBe(hexOf(deflateRawSync(Buffer.from(message.payload), { memLevel: 5, finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4)));
  });
});

describe('on the wire, sync and async messages in one stream', () => {
  it('echoes in order a random mix of messages done now and in the threadpool, context takeover on and off', async () => {
    const server = await serve({ port: 0, maxMessageBytes: 4 << 20, compression: { threshold: 0 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' }); } catch { /* closed */ }
    });
    const url = `ws://127.0.0.1:${server.address().port}/`;
    await fc.assert(fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 12 }), fc.boolean(), async (messages, noContext) => {
      const conn = await dial(url, { maxMessageBytes: 4 << 20, compression: { threshold: 0, clientNoContextTakeover: noContext, serverNoContextTakeover: noContext } });
      const inputs = messages.map(bytesOf);
      await Promise.all(inputs.map((input) => conn.send(input)));
      for (const input of inputs) expect(hexOf((await conn.read()).data)).toBe(hexOf(input));
      await conn.close();
    }), { numRuns: 12 });
    await server.close({ timeoutMs: 200 });
  }, 60_000);

  it('closes a bomb under the sync limit with 1009 after echoing the message before it, and corrupt data mid-stream with 1007', async () => {
    const server = await serve({ port: 0, maxMessageBytes: 1 << 20, compression: { threshold: 0 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' }); } catch { /* closed */ }
    });
    const port = server.address().port;
    const hello = deflateRawSync(Buffer.from('Hello'), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const bomb = deflateRawSync(Buffer.alloc(8 << 20), { level: 9, finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    for (const [bad, code] of [[bomb, 1009], [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 1007]] as const) {
      const { peer } = await rawClient(port, 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n', true);
      await peer.send(concat([clientFrame(OP_TEXT, hello, { rsv1: true }), clientFrame(OP_BINARY, bad, { rsv1: true }), clientFrame(OP_TEXT, hello, { rsv1: true })]));
      await peer.waitFrames(2);
      expect(peer.frames[0].opcode).toBe(OP_TEXT);
      expect(peer.closeFrame()?.[0]).toBe(code);
      expect(peer.frames.length).toBe(2); // the message after the bad one is dropped
      peer.socket.destroy();
    }
    await server.close({ timeoutMs: 200 });
  });
});

describe('without a usable sync zlib', () => {
  it.each([
    ['the handle has no writeSync', (proto: Record<string, unknown>) => { delete proto.writeSync; }],
    ['writeSync forgets the context', (proto: Record<string, unknown>) => {
      const own = proto.writeSync as (this: { reset(): void }, ...args: unknown[]) => void;
      proto.writeSync = function (this: { reset(): void }, ...args: unknown[]) { this.reset(); own.apply(this, args); };
    }],
  ])('falls back to the async path when %s, and still echoes', async (_name, breakIt) => {
    const proto = Object.getPrototypeOf((createDeflateRaw() as unknown as { _handle: object })._handle) as Record<string, unknown>;
    const saved = proto.writeSync;
    vi.resetModules(); // a fresh module graph: the self-check runs again
    breakIt(proto);
    try {
      const pool = await import('../../src/extensions/zlib-pool');
      const pmd = await import('../../src/extensions/permessage-deflate');
      expect(pool.syncZlib()).toBe(false);
      const deflate = new pmd.PerMessageDeflate(params(false, false), 'server');
      const hello = new TextEncoder().encode('Hello');
      expect(deflate.compressNow(hello)).toBeUndefined();
      expect(deflate.decompressNow(new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), 100)).toBeUndefined();
      expect(hexOf(await deflate.compress(hello))).toBe('f248cdc9c90700');
      deflate.close();
      const { serve: serveFresh } = await import('../../src/server');
      const { dial: dialFresh } = await import('../../src/client');
      const server = await serveFresh({ port: 0, compression: { threshold: 0 } }, async (conn) => {
        try { for await (const m of conn) await conn.send(m.text()); } catch { /* closed */ }
      });
      const conn = await dialFresh(`ws://127.0.0.1:${server.address().port}/`, { compression: { threshold: 0 } });
      for (let i = 0; i < 5; i++) await conn.send(`message ${i}`);
      for (let i = 0; i < 5; i++) expect((await conn.read()).text()).toBe(`message ${i}`);
      await conn.close();
      await server.close({ timeoutMs: 200 });
    } finally {
      proto.writeSync = saved;
      vi.resetModules();
    }
  });
});
