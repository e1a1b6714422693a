import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { dial } from '../../src/client';
import type { CodecKind } from '../../src/codec/select';
import { serve, type WebSocketServer } from '../../src/server';

// Interop with `ws`, which nobody here wrote: our server with its client, its server with ours.

const SIZES = [0, 125, 126, 65535, 65536, 16 * 1024 * 1024];

function payload(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31) & 0xff;
  return b;
}

describe.each(['js', 'wasm'] as CodecKind[])('interop with ws, %s codec', (codec) => {
  let ours: WebSocketServer;
  let theirs: WsServer;

  beforeAll(async () => {
    ours = await serve({ port: 0, codec, maxMessageBytes: 64 << 20 }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.type === 'text' ? m.text() : m.data); } catch { /* closed */ }
    });
    theirs = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 64 << 20 });
    theirs.on('connection', (s) => s.on('message', (d, isBinary) => s.send(d, { binary: isBinary })));
    await new Promise((r) => theirs.once('listening', r));
  });
  afterAll(async () => {
    await ours.close({ timeoutMs: 200 });
    await new Promise((r) => theirs.close(r));
  });

  it('a ws client gets back text, binary (0 B to 16 MiB) and a fragmented message from our server', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ours.address().port}/`, { perMessageDeflate: false, maxPayload: 64 << 20 });
    await new Promise((r) => ws.once('open', r));
    const received: [boolean, Buffer][] = [];
    ws.on('message', (data, isBinary) => received.push([isBinary, data as Buffer]));
    ws.send('héllo ✓');
    for (const size of SIZES) ws.send(payload(size));
    ws.send('frag', { fin: false });
    ws.send('mented', { fin: true });
    const deadline = Date.now() + 10_000;
    while (received.length < SIZES.length + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received[0]).toEqual([false, Buffer.from('héllo ✓')]);
    SIZES.forEach((size, i) => {
      expect(received[i + 1][0]).toBe(true);
      expect(received[i + 1][1].equals(payload(size))).toBe(true);
    });
    expect(received.at(-1)?.[1].toString()).toBe('fragmented');
    const pong = new Promise<Buffer>((r) => ws.once('pong', r));
    ws.ping('are you there');
    expect((await pong).toString()).toBe('are you there');
    const closed = new Promise<[number, string]>((r) => ws.once('close', (code, reason) => r([code, reason.toString()])));
    ws.close(4321, 'bye');
    expect((await closed)[0]).toBe(4321);
  });

  it('our client gets back text, binary (0 B to 16 MiB) and a ping answer from a ws server', async () => {
    const conn = await dial(`ws://127.0.0.1:${(theirs.address() as { port: number }).port}/`, { codec, maxMessageBytes: 64 << 20 });
    await conn.send('héllo ✓');
    expect((await conn.read()).text()).toBe('héllo ✓');
    for (const size of SIZES) {
      await conn.send(payload(size));
      const m = await conn.read();
      expect(m.type).toBe('binary');
      expect(Buffer.from(m.data).equals(payload(size))).toBe(true);
    }
    const writer = await conn.nextWriter('text');
    await writer.write('frag');
    await writer.write('mented');
    await writer.close();
    expect((await conn.read()).text()).toBe('fragmented');
    expect(await conn.ping('rtt')).toBeGreaterThanOrEqual(0);
    expect(await conn.close(1000, 'done')).toMatchObject({ code: 1000, wasClean: true });
  });

  it('ws sees our close codes and we see its', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ours.address().port}/`);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.close(1001);
    expect(await closed).toBe(1001);
    const server = new WsServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    server.on('connection', (s) => s.close(4004, 'policy'));
    const conn = await dial(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, { codec });
    expect(await conn.closed).toEqual({ code: 4004, reason: 'policy', wasClean: true });
    await new Promise((r) => server.close(r));
  });
});

describe.each(['js', 'wasm'] as CodecKind[])('interop with ws, compression on, %s codec', (codec) => {
  const texts = ['short', 'x'.repeat(2000), JSON.stringify({ list: Array.from({ length: 5000 }, (_, i) => i) })];

  it.each([
    ['defaults', {}],
    ['no context takeover, 10-bit windows', { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 10 }],
  ])('our client and a ws server (%s) exchange compressed messages', async (_name, options) => {
    const server = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...options } });
    server.on('connection', (s) => s.on('message', (d, isBinary) => s.send(d, { binary: isBinary })));
    await new Promise((r) => server.once('listening', r));
    const conn = await dial(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, { codec, compression: { threshold: 0 } });
    expect(conn.extensions).toMatch(/^permessage-deflate/);
    for (const t of texts) {
      await conn.send(t);
      expect((await conn.read()).text()).toBe(t);
    }
    await conn.send(payload(1 << 20));
    expect(Buffer.from((await conn.read()).data).equals(payload(1 << 20))).toBe(true);
    await conn.close();
    await new Promise((r) => server.close(r));
  });

  it('a ws client (permessage-deflate on by default) and our server exchange compressed messages', async () => {
    const server = await serve({ port: 0, codec, compression: { threshold: 0 } }, async (conn) => {
      try { for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' }); } catch { /* closed */ }
    });
    const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/`);
    await new Promise((r) => ws.once('open', r));
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const received: string[] = [];
    ws.on('message', (d) => received.push(d.toString()));
    for (const t of texts) ws.send(t);
    for (let i = 0; i < 200 && received.length < texts.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received).toEqual(texts);
    ws.close();
    await server.close({ timeoutMs: 200 });
  });
});
