import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocketClient from 'ws';
import { OP_BINARY, OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import type { CodecKind } from '../../src/codec/select';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { CloseError, ProtocolError } from '../../src/errors';
import { serve, type WebSocketServer } from '../../src/server';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { clientFrame, serverFrame } from '../helpers/frames';
import { RawDeflate } from '../helpers/raw-deflate';
import { rawClient } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();
const closePayload = (code: number) => new Uint8Array([code >> 8, code & 0xff]);

/** What a server handler's `for await` saw: the messages, then how the loop ended. */
interface Received { texts: string[]; ended?: 'done' | Error }

/** A server whose handler records every connection's messages and its loop's end. */
async function recordingServer(codec: CodecKind, compression: boolean): Promise<{ server: WebSocketServer; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = await serve({ port: 0, codec, compression: compression ? {} : false }, async (conn) => {
    const record: Received = { texts: [] };
    received.push(record);
    try {
      for await (const m of conn) record.texts.push(m.text());
      record.ended = 'done';
    } catch (err) {
      record.ended = err as Error;
    }
  });
  return { server, port: server.address().port, received };
}

async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error('timed out');
  }
}

const DEFLATE_OFFER = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';

describe.each([
  ['js', true], ['wasm', true], ['js', false], ['wasm', false],
] as [CodecKind, boolean][])('every message received before a Close or a bad frame is delivered first (%s codec, compression %s)', (codec, compression) => {
  let server: WebSocketServer;
  let port: number;
  let received: Received[];
  beforeAll(async () => ({ server, port, received } = await recordingServer(codec, compression)));
  afterAll(() => server.close({ timeoutMs: 200 }));

  /** The second message's frame: compressed by a raw zlib peer when compression is on. */
  async function secondFrame(zlib: RawDeflate, text: string): Promise<Uint8Array> {
    return compression
      ? clientFrame(OP_TEXT, await zlib.compress(encoder.encode(text)), { rsv1: true })
      : clientFrame(OP_TEXT, text);
  }

  it('[text][compressed text][Close 1000] in one write: both in order, then a clean close', async () => {
    const index = received.length;
    const { peer, response } = await rawClient(port, compression ? DEFLATE_OFFER : '', compression);
    expect(response.includes('permessage-deflate')).toBe(compression);
    const zlib = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
    const big = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) });
    await peer.send(concat([clientFrame(OP_TEXT, 'first'), await secondFrame(zlib, big), clientFrame(OP_CLOSE, closePayload(1000))]));
    await until(() => received[index]?.ended !== undefined);
    expect(received[index].texts).toEqual(['first', big]);
    expect(received[index].ended).toBe('done');
    await peer.waitClosed();
    expect(peer.closeFrame()).toEqual([1000, '']);
    zlib.close();
  });

  it('[uncompressed][compressed][bad opcode]: both delivered, then the 1002 close', async () => {
    const index = received.length;
    const { peer } = await rawClient(port, compression ? DEFLATE_OFFER : '', compression);
    const zlib = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
    await peer.send(concat([clientFrame(OP_TEXT, 'plain'), await secondFrame(zlib, 'squeezed '.repeat(200)), clientFrame(3, 'reserved')]));
    await until(() => received[index]?.ended !== undefined);
    expect(received[index].texts).toEqual(['plain', 'squeezed '.repeat(200)]);
    const error = received[index].ended as CloseError;
    expect(error).toBeInstanceOf(CloseError);
    expect(error.closeCode).toBe(1002);
    expect(error.cause).toBeInstanceOf(ProtocolError);
    await peer.waitClosed();
    expect(peer.closeFrame()?.[0]).toBe(1002);
    zlib.close();
  });
});

describe.each(['js', 'wasm'] as CodecKind[])('the inflate limit still holds behind the inbox (%s codec)', (codec) => {
  it('a compressed message that inflates past the limit is dropped with what follows, after those before it (1009)', async () => {
    const received: Received[] = [];
    const limited = await serve({ port: 0, codec, maxMessageBytes: 64 * 1024 }, async (conn) => {
      const record: Received = { texts: [] };
      received.push(record);
      try { for await (const m of conn) record.texts.push(m.text()); record.ended = 'done'; } catch (err) { record.ended = err as Error; }
    });
    const index = received.length;
    const { peer } = await rawClient(limited.address().port, DEFLATE_OFFER, true);
    const zlib = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
    await peer.send(concat([
      clientFrame(OP_TEXT, await zlib.compress(encoder.encode('ok '.repeat(100))), { rsv1: true }),
      clientFrame(OP_TEXT, await zlib.compress(encoder.encode('b'.repeat(200_000))), { rsv1: true }),
      clientFrame(OP_TEXT, 'after the bomb'),
    ]));
    await until(() => received[index]?.ended !== undefined);
    expect(received[index].texts).toEqual(['ok '.repeat(100)]);
    expect((received[index].ended as CloseError).closeCode).toBe(1009);
    await peer.waitClosed();
    expect(peer.closeFrame()?.[0]).toBe(1009);
    zlib.close();
    await limited.close({ timeoutMs: 200 });
  });
});

describe.each(['js', 'wasm'] as CodecKind[])('a message that fails to inflate before a clean Close (%s codec)', (codec) => {
  it('[compressed][corrupt compressed][Close 1000]: the first delivered, then 1007, not a quiet clean end', async () => {
    const { server, port, received } = await recordingServer(codec, true);
    const index = received.length;
    const { peer } = await rawClient(port, DEFLATE_OFFER, true);
    const zlib = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
    await peer.send(concat([
      clientFrame(OP_TEXT, await zlib.compress(encoder.encode('fine '.repeat(50))), { rsv1: true }),
      clientFrame(OP_BINARY, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), { rsv1: true }),
      clientFrame(OP_CLOSE, closePayload(1000)),
    ]));
    await until(() => received[index]?.ended !== undefined);
    expect(received[index].texts).toEqual(['fine '.repeat(50)]);
    const error = received[index].ended as CloseError;
    expect(error).toBeInstanceOf(CloseError);
    expect(error.closeCode).toBe(1007);
    expect((error.cause as ProtocolError).code).toBe('WS_ERR_INFLATE_FAILED');
    zlib.close();
    peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });
});

describe.each(['js', 'wasm'] as CodecKind[])('a client receiving messages then a Close (%s codec)', (codec) => {
  it.each([true, false])('[text][compressed text][Close 1000] in the same read as the 101 (%s) or just after it', async (withHead) => {
    const zlib = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
    const big = 'server side '.repeat(500);
    const frames = concat([serverFrame(OP_TEXT, 'hello'), serverFrame(OP_TEXT, await zlib.compress(encoder.encode(big)), { rsv1: true }), serverFrame(OP_CLOSE, closePayload(1000))]);
    const server = createServer((socket) => socket.once('data', (request) => {
      const key = /sec-websocket-key:\s*(\S+)/i.exec(request.toString())![1];
      const head = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`);
      if (withHead) socket.write(Buffer.concat([head, frames]));
      else { socket.write(head); setTimeout(() => socket.write(frames), 20); }
      socket.on('data', () => socket.end()); // the client's close echo: end TCP, as a server does
      socket.on('error', () => {});
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const conn = await dial(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { codec });
    expect(conn.extensions).toContain('permessage-deflate');
    const texts: string[] = [];
    for await (const m of conn) texts.push(m.text());
    expect(texts).toEqual(['hello', big]);
    expect((await conn.closed).code).toBe(1000);
    zlib.close();
    server.close();
  });
});

describe('the ws client sending then closing at once', () => {
  it.each(['js', 'wasm'] as CodecKind[])('ws.send(5 KB JSON); ws.close() reaches a %s-codec server 20 times out of 20', async (codec) => {
    const { server, port, received } = await recordingServer(codec, true);
    const json = JSON.stringify({ rows: Array.from({ length: 120 }, (_, i) => ({ id: i, value: `v${i}`.padEnd(30, '.') })) });
    expect(json.length).toBeGreaterThan(5000);
    for (let i = 0; i < 20; i++) {
      const ws = new WebSocketClient(`ws://127.0.0.1:${port}/`); // permessage-deflate on, as ws offers by default
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      expect(ws.extensions).toContain('permessage-deflate');
      ws.send(json);
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
    }
    await until(() => received.length === 20 && received.every((r) => r.ended !== undefined));
    expect(received.map((r) => r.texts.length)).toEqual(Array(20).fill(1));
    expect(received.every((r) => r.texts[0] === json && r.ended === 'done')).toBe(true);
    await server.close({ timeoutMs: 200 });
  }, 30_000);
});

describe.each(['js', 'wasm'] as CodecKind[])('nextReader() keeps arrival order with compression (%s codec)', (codec) => {
  it('a reader waiting before anything arrived gets the compressed message, not the small one sent after it', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, codec }, (conn) => { serverConn = conn; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`, { codec });
    while (!serverConn) await sleep(5);
    const first = conn.nextReader();
    const big = 'A'.repeat(100_000);
    await serverConn.send(big); // over the threshold: compressed
    await serverConn.send('B-small'); // under it: not compressed
    expect(await (await first).text()).toBe(big);
    expect((await conn.read()).text()).toBe('B-small');
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });

  it('read(), next() and nextReader() mixed over compressed and uncompressed messages keep their order', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, codec, compression: { threshold: 100 } }, (conn) => { serverConn = conn; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`, { codec });
    while (!serverConn) await sleep(5);
    const messages = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `${i}:${'long '.repeat(100)}` : `${i}:short`));
    const reads = messages.map((_, i) => (i % 3 === 1 ? conn.nextReader().then((r) => r.text())
      : i % 3 === 2 ? conn[Symbol.asyncIterator]().next().then((r) => (r.value as { text(): string }).text())
        : conn.read().then((m) => m.text())));
    for (const m of messages) void serverConn.send(m);
    expect(await Promise.all(reads)).toEqual(messages);
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });
});

describe.each([false, true])('a throwing onPing/onPong never escapes into the socket listener (compression %s)', (compression) => {
  it.each(['onPing', 'onPong'] as const)('%s throwing fails the connection with 1011, the error as its cause, messages before it delivered', async (hook) => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, compression: compression ? {} : false }, (c) => { serverConn = c; });
    const { peer } = await rawClient(server.address().port, compression ? DEFLATE_OFFER : '', compression);
    while (!serverConn) await sleep(5);
    const boom = new Error('handler bug');
    serverConn[hook] = () => { throw boom; };
    await peer.send(concat([clientFrame(OP_TEXT, 'before'), clientFrame(hook === 'onPing' ? 9 : 10, 'p')]));
    expect((await serverConn.read()).text()).toBe('before');
    const error = await serverConn.read().then(() => undefined, (e: unknown) => e) as CloseError;
    expect(error).toBeInstanceOf(CloseError);
    expect(error.closeCode).toBe(1011);
    expect(error.cause).toBe(boom);
    await peer.waitClosed();
    expect(peer.closeFrame()?.[0]).toBe(1011);
    await server.close({ timeoutMs: 200 });
  });
});
