import { randomBytes } from 'node:crypto';
import { constants, createDeflateRaw } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP_BINARY, OP_PING, OP_TEXT } from '../../src/codec/constants';
import type { CodecKind } from '../../src/codec/select';
import { dial } from '../../src/client';
import { PerMessageDeflate, SYNC_DEFLATE_MAX_BYTES, SYNC_INFLATE_MAX_BYTES } from '../../src/extensions/permessage-deflate';
import { serve, type WebSocketServer } from '../../src/server';
import { hex } from '../helpers/codecs';
import { clientFrame } from '../helpers/frames';
import { RawDeflate } from '../helpers/raw-deflate';
import { rawClient } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

const params15 = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('RFC 7692 §7.2.3 examples, byte for byte', () => {
  it('compresses "Hello" to f2 48 cd c9 c9 07 00, and the second with the shared window to f2 00 11 00 00', async () => {
    const deflate = new PerMessageDeflate(params15, 'server', { level: 6, memLevel: 8 });
    expect(toHex(await deflate.compress(new TextEncoder().encode('Hello')))).toBe('f248cdc9c90700');
    expect(toHex(await deflate.compress(new TextEncoder().encode('Hello')))).toBe('f200110000');
    deflate.close();
  });

  it('compresses each "Hello" alike without context takeover', async () => {
    const deflate = new PerMessageDeflate({ ...params15, serverNoContextTakeover: true }, 'server');
    expect(toHex(await deflate.compress(new TextEncoder().encode('Hello')))).toBe('f248cdc9c90700');
    expect(toHex(await deflate.compress(new TextEncoder().encode('Hello')))).toBe('f248cdc9c90700');
    deflate.close();
  });

  it.each([
    ['the compressed form', 'f2 48 cd c9 c9 07 00'],
    ['a stored (uncompressed) block', '00 05 00 fa ff 48 65 6c 6c 6f 00'],
    ['a block with BFINAL set', 'f3 48 cd c9 c9 07 00 00'],
    ['two blocks', 'f2 48 05 00 00 00 ff ff ca c9 c9 07 00'],
  ])('inflates %s to "Hello", and the next message after it', async (_name, payload) => {
    const deflate = new PerMessageDeflate(params15, 'client');
    expect(text(await deflate.decompress(hex(payload), 1000))).toBe('Hello');
    expect(text(await deflate.decompress(hex('f2 48 cd c9 c9 07 00'), 1000))).toBe('Hello');
    deflate.close();
  });

  it('compresses and inflates each message in one zlib job (one write, flushed by the stream), leaving no listener behind', async () => {
    // Each write to a zlib stream is one job in the threadpool; write() + flush() made two,
    // the inflate's data, tail and flush three (issue 13, target 7: the hops cost more than zlib).
    const proto = Object.getPrototypeOf(Object.getPrototypeOf(createDeflateRaw())) as { _transform: (...args: unknown[]) => unknown };
    const original = proto._transform;
    let jobs = 0;
    proto._transform = function (this: unknown, ...args: unknown[]) { jobs++; return original.apply(this, args); };
    try {
      const server = new PerMessageDeflate(params15, 'server');
      const client = new PerMessageDeflate(params15, 'client');
      // Above the sync limits (a smaller message is done on the event loop, no job at all).
      for (let i = 0; i < 3; i++) {
        const big = new Uint8Array(randomBytes(SYNC_DEFLATE_MAX_BYTES + 1));
        jobs = 0;
        const wire = await server.compress(big);
        expect(wire.length).toBeGreaterThan(SYNC_INFLATE_MAX_BYTES);
        expect(jobs).toBe(1);
        jobs = 0;
        expect(Buffer.from(await client.decompress(wire, 1 << 20)).equals(Buffer.from(big))).toBe(true);
        expect(jobs).toBe(1);
      }
      // Each job removes the listeners it added: none pile up on the connection's streams.
      const streams = server as unknown as { deflate: { listenerCount(e: string): number } };
      const inflater = client as unknown as { inflate: { listenerCount(e: string): number } };
      expect(streams.deflate.listenerCount('error')).toBe(1);
      expect(streams.deflate.listenerCount('data')).toBe(0);
      expect(inflater.inflate.listenerCount('error')).toBe(1);
      server.close();
      client.close();
    } finally {
      proto._transform = original;
    }
  });
});

describe.each(['js', 'wasm'] as CodecKind[])('permessage-deflate on the wire, %s codec', (codec) => {
  let server: WebSocketServer;
  let port: number;

  beforeAll(async () => {
    server = await serve({ port: 0, codec, maxMessageBytes: 1 << 20, compression: { threshold: 0, serverMaxWindowBits: 15 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.type === 'text' ? m.text() : m.data); } catch { /* closed */ }
    });
    port = server.address().port;
  });
  afterAll(() => server.close({ timeoutMs: 200 }));

  const deflateHeader = (params = '') => `Sec-WebSocket-Extensions: permessage-deflate${params}\r\n`;

  it('echoes the §7.2.3.1 frame as the §7.2.3.1 and §7.2.3.2 frames (context takeover)', async () => {
    const { peer, response } = await rawClient(port, deflateHeader(), true);
    expect(response).toContain('Sec-WebSocket-Extensions: permessage-deflate');
    const hello = hex('f2 48 cd c9 c9 07 00');
    await peer.send(concat([clientFrame(OP_TEXT, hello, { rsv1: true }), clientFrame(OP_TEXT, hello, { rsv1: true })]));
    await peer.waitFrames(2);
    expect(peer.frames.map((f) => [f.compressed, toHex(f.payload)])).toEqual([[true, 'f248cdc9c90700'], [true, 'f200110000']]);
    peer.socket.destroy();
  });

  it('accepts a compressed message in fragments (RSV1 on the first only), with a ping between them', async () => {
    const { peer } = await rawClient(port, deflateHeader('; server_no_context_takeover'), true);
    await peer.send(concat([
      clientFrame(OP_TEXT, hex('f2 48 cd'), { rsv1: true, fin: false }),
      clientFrame(OP_PING, 'mid'),
      clientFrame(0, hex('c9 c9 07 00')),
    ]), true);
    await peer.waitFrames(2);
    expect(peer.frames[1]).toMatchObject({ opcode: OP_TEXT, compressed: true });
    expect(toHex(peer.frames[1].payload)).toBe('f248cdc9c90700');
    peer.socket.destroy();
  });

  it.each([
    ['RSV1 on a continuation', concat([clientFrame(OP_TEXT, hex('f2 48 cd'), { rsv1: true, fin: false }), clientFrame(0, hex('c9 c9 07 00'), { rsv1: true })]), 1002, undefined],
    ['RSV1 on a ping', clientFrame(OP_PING, 'x', { rsv1: true }), 1002, undefined],
    ['corrupt deflate data', clientFrame(OP_BINARY, hex('ff ff ff ff ff'), { rsv1: true }), 1007, /compressed data/],
    ['compressed invalid UTF-8 ("a" + a surrogate)', clientFrame(OP_TEXT, hex('4a 7c bb a0 01 00'), { rsv1: true }), 1007, /UTF-8/],
  ])('closes on %s with %d', async (_name, bytes, code, reason?: RegExp) => {
    const { peer } = await rawClient(port, deflateHeader(), true);
    await peer.send(bytes);
    await peer.waitFrames(1);
    expect(peer.closeFrame()?.[0]).toBe(code);
    if (reason) expect(peer.closeFrame()?.[1]).toMatch(reason);
  });

  it('closes a decompression bomb (1 GiB from ~1 MiB) with 1009, holding at most the limit', async () => {
    const bomb = await new Promise<Uint8Array>((resolve) => {
      const d = createDeflateRaw({ level: 9 });
      const parts: Buffer[] = [];
      d.on('data', (c: Buffer) => parts.push(c));
      const zeros = Buffer.alloc(1 << 20);
      for (let i = 0; i < 1024; i++) d.write(zeros);
      d.flush(constants.Z_SYNC_FLUSH, () => { const all = Buffer.concat(parts); resolve(new Uint8Array(all.subarray(0, all.length - 4))); d.close(); });
    });
    expect(bomb.length).toBeLessThan(2 << 20);
    const before = process.memoryUsage().rss;
    const { peer } = await rawClient(port, deflateHeader(), true);
    await peer.send(clientFrame(OP_BINARY, bomb, { rsv1: true }));
    await peer.waitFrames(1, 10_000);
    expect(peer.closeFrame()?.[0]).toBe(1009);
    expect(process.memoryUsage().rss - before).toBeLessThan(128 << 20);
  }, 30_000);
});

// In the spirit of Autobahn sections 12 and 13: every parameter set the suite uses, payloads
// from 16 B to 128 KiB, our server against a raw peer compressing with plain node:zlib.
const PARAM_SETS: [string, string, { windowBits: number; noContext: boolean; peerWindowBits: number; peerNoContext: boolean }][] = [
  ['defaults', '', { windowBits: 15, noContext: false, peerWindowBits: 12, peerNoContext: false }],
  ['no context takeover both ways', '; server_no_context_takeover; client_no_context_takeover', { windowBits: 15, noContext: true, peerWindowBits: 12, peerNoContext: true }],
  ['server window 9', '; server_max_window_bits=9', { windowBits: 15, noContext: false, peerWindowBits: 9, peerNoContext: false }],
  ['client window 9', '; client_max_window_bits=9', { windowBits: 9, noContext: false, peerWindowBits: 12, peerNoContext: false }],
  ['server window 8: we answer uncompressed', '; server_max_window_bits=8', { windowBits: 15, noContext: false, peerWindowBits: 8, peerNoContext: false }],
  ['client window 15, server 15, no server context', '; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15', { windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: true }],
];
const SIZES = [16, 64, 256, 1024, 4096, 16384, 65536, 131072];

describe.each(['js', 'wasm'] as CodecKind[])('Autobahn 12/13-style echo, %s codec', (codec) => {
  let server: WebSocketServer;
  beforeAll(async () => {
    server = await serve({ port: 0, codec, compression: { threshold: 0 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.type === 'text' ? m.text() : m.data); } catch { /* closed */ }
    });
  });
  afterAll(() => server.close({ timeoutMs: 200 }));

  it.each(PARAM_SETS)('%s: 8 sizes × 3 messages round-trip', async (_name, params, mode) => {
    const { peer, response } = await rawClient(server.address().port, `Sec-WebSocket-Extensions: permessage-deflate${params}\r\n`, true);
    expect(response).toMatch(/Sec-WebSocket-Extensions: permessage-deflate/);
    const zlib = new RawDeflate(mode);
    const sent: string[] = [];
    for (const size of SIZES) {
      for (let k = 0; k < 3; k++) {
        const message = 'abcdefghij'.repeat(Math.ceil(size / 10)).slice(0, size - 1) + String(k);
        sent.push(message);
        await peer.send(clientFrame(OP_TEXT, await zlib.compress(new TextEncoder().encode(message)), { rsv1: true }));
      }
    }
    await peer.waitFrames(sent.length, 10_000);
    const got: string[] = [];
    for (const f of peer.frames) got.push(f.compressed ? text(await zlib.decompress(f.payload)) : text(f.payload));
    expect(got).toEqual(sent);
    if (mode.peerWindowBits === 8) expect(peer.frames.every((f) => !f.compressed)).toBe(true);
    else expect(peer.frames.every((f) => f.compressed)).toBe(true);
    zlib.close();
    peer.socket.destroy();
  });
});

describe('compression between our client and server', () => {
  it('round-trips with compression on, honours compress: false and the threshold, and reports the agreement', async () => {
    const server = await serve({ port: 0, compression: { threshold: 100 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' }); } catch { /* closed */ }
    });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`, { compression: { clientNoContextTakeover: true } });
    expect(conn.extensions).toBe('permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12');
    const big = 'x'.repeat(100_000);
    await conn.send(big);
    expect((await conn.read()).text()).toBe(big);
    await conn.send(new Uint8Array(5000), { compress: false });
    expect((await conn.read()).data.length).toBe(5000);
    for (let i = 0; i < 20; i++) await conn.send(`n${i}`);
    for (let i = 0; i < 20; i++) expect((await conn.read()).text()).toBe(`n${i}`);
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });

  it('keeps a streaming writer whole when it starts behind a compressed send and a send follows', async () => {
    const server = await serve({ port: 0, compression: { threshold: 10 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.text()); } catch { /* closed */ }
    });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`, { compression: { threshold: 10 } });
    const first = conn.send('compressed first '.repeat(50));
    const writerReady = conn.nextWriter('text');
    const after = conn.send('after the writer');
    const writer = await writerReady;
    await new Promise((r) => setTimeout(r, 20)); // a slow writer: the later send must still wait for it
    await writer.write('frag');
    await writer.write('mented');
    await writer.close();
    await Promise.all([first, after]);
    expect((await conn.read()).text()).toBe('compressed first '.repeat(50));
    expect((await conn.read()).text()).toBe('fragmented');
    expect((await conn.read()).text()).toBe('after the writer');
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });

  it('keeps order when compressed and uncompressed sends interleave', async () => {
    const server = await serve({ port: 0, compression: { threshold: 1000 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.text()); } catch { /* closed */ }
    });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    const messages = Array.from({ length: 50 }, (_, i) => (i % 2 ? `short ${i}` : `${i} ${'long '.repeat(500)}`));
    await Promise.all(messages.map((m) => conn.send(m)));
    for (const m of messages) expect((await conn.read()).text()).toBe(m);
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });
});
