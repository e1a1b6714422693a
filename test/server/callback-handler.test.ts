// serve()'s and the Upgrader's callback handler ({ open, message, drain, close }): messages
// straight from the frame reader, with every rule of the Conn kept (order with compressed
// messages, the close after every message, limits, UTF-8, failing callbacks, backpressure).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import type { CallbackHandler } from '../../src/conn/callback-delivery';
import type { CloseInfo, Conn } from '../../src/conn/connection';
import type { Message } from '../../src/frame/message';
import { serve, Upgrader, type ServeOptions, type WebSocketServer } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient, type RawPeer } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const closePayload = (code: number) => new Uint8Array([code >> 8, code & 0xff]);

/** A compressed (RSV1) client frame, compressed alone (valid under context takeover too). */
function compressedFrame(opcode: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const deflated = deflateRawSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return clientFrame(opcode, deflated.subarray(0, deflated.length - 4), { rsv1: true });
}

/** What a handler saw, in order: 'open', each message as 'text:…'/'binary:…', then 'close:<code>'. */
function recording(extra: Partial<CallbackHandler> = {}): { handler: CallbackHandler; events: string[]; closed: Promise<CloseInfo> } {
  const events: string[] = [];
  let closed!: (info: CloseInfo) => void;
  const handler: CallbackHandler = {
    open: () => { events.push('open'); },
    message: (conn: Conn, m: Message) => {
      events.push(`${m.type}:${m.type === 'text' ? m.text() : m.data.length}`);
      void conn.send(m.data, { binary: m.type === 'binary', compress: false }); // the raw peer reads them as they are
    },
    close: (_conn, info) => { events.push(`close:${info.code}`); closed(info); },
    ...extra,
  };
  return { handler, events, closed: new Promise((resolve) => { closed = resolve; }) };
}

/** The peer answers the server's close (as a real client would), then TCP closes. */
async function answerClose(peer: RawPeer): Promise<void> {
  for (let i = 0; i < 100 && !peer.closeFrame() && !peer.ended; i++) await sleep(20);
  const [code] = peer.closeFrame() ?? [1000];
  if (!peer.ended) peer.socket.write(clientFrame(OP_CLOSE, closePayload(code)));
}

let server: WebSocketServer | undefined;
afterEach(async () => { await server?.close({ timeoutMs: 200 }); server = undefined; });

async function start(handler: CallbackHandler, options: ServeOptions = {}): Promise<number> {
  server = await serve({ port: 0, ...options }, handler);
  return server.address().port;
}

async function client(port: number, compression: boolean): Promise<RawPeer> {
  const { peer, response } = await rawClient(port, compression ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '', compression);
  expect(response).toContain(compression ? 'permessage-deflate' : '101');
  return peer;
}

describe.each([false, true])('callback handler (compression %s)', (compression) => {
  const options = (more: ServeOptions = {}): ServeOptions => ({ compression: compression ? {} : false, ...more });

  it('delivers messages in order, compressed ones included, then close after all of them (data + Close in one write)', async () => {
    const { handler, events, closed } = recording();
    const peer = await client(await start(handler, options()), compression);
    const compressed = (text: string) => (compression ? compressedFrame(OP_TEXT, text) : clientFrame(OP_TEXT, text));
    peer.socket.write(concat([
      clientFrame(OP_TEXT, 'a'), compressed('b'), clientFrame(OP_BINARY, new Uint8Array(3)), compressed('d'.repeat(2000)),
      clientFrame(OP_TEXT, 'e'), clientFrame(OP_CLOSE, closePayload(1000)),
    ]));
    const info = await closed;
    expect(events).toEqual(['open', 'text:a', 'text:b', 'binary:3', `text:${'d'.repeat(2000)}`, 'text:e', 'close:1000']);
    expect(info.wasClean).toBe(true);
    await peer.waitClosed();
    // The replies left before the close echo, in order.
    expect(peer.frames.map((f) => f.opcode)).toEqual([OP_TEXT, OP_TEXT, OP_BINARY, OP_TEXT, OP_TEXT, OP_CLOSE]);
    expect(peer.frames.slice(0, 5).map((f) => (f.opcode === OP_TEXT ? decode(f.payload).slice(0, 1) : 'bin'))).toEqual(['a', 'b', 'bin', 'd', 'e']);
    expect(peer.closeFrame()).toEqual([1000, '']);
  });

  it('read() and for await are refused on a connection with a callback handler', async () => {
    let refused: unknown;
    const { handler, closed } = recording({ open: (conn) => { conn.read().catch((e: unknown) => { refused = e; }); } });
    const peer = await client(await start(handler, options()), compression);
    peer.socket.write(clientFrame(OP_CLOSE, closePayload(1000)));
    await closed;
    expect(refused).toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
  });

  it.each(['open', 'message', 'drain'] as const)('a throwing %s callback closes with 1011 and goes to onHandlerError; close still comes', async (which) => {
    const boom = new Error(`boom in ${which}`);
    const errors: unknown[] = [];
    const { handler, events, closed } = recording({
      [which]: () => { throw boom; },
      // drain needs backpressure first: a reply over the high-water mark, read by the peer.
      ...(which === 'drain' ? { open: (conn: Conn) => { void conn.send(new Uint8Array(256 * 1024)); } } : {}),
    });
    const peer = await client(await start(handler, options({ onHandlerError: (e) => errors.push(e) })), compression);
    if (which === 'message') peer.socket.write(concat([clientFrame(OP_TEXT, 'x'), clientFrame(OP_TEXT, 'not delivered')]));
    await answerClose(peer);
    const info = await closed;
    await peer.waitClosed();
    expect(peer.closeFrame()).toEqual([1011, 'handler failed']);
    expect(info.code).toBe(1011);
    expect(errors).toEqual([boom]);
    expect(events.filter((e) => e.startsWith('text'))).toEqual([]);
    expect(events.at(-1)).toBe('close:1011');
  });

  it('a message callback whose promise rejects closes with 1011 and goes to onHandlerError (nothing unhandled)', async () => {
    const boom = new Error('async boom');
    const errors: unknown[] = [];
    const unhandled: unknown[] = [];
    const collect = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', collect);
    try {
      const seen: string[] = [];
      const { handler, closed } = recording({
        message: async (_conn, m) => { seen.push(m.text()); await sleep(1); throw boom; },
      });
      const peer = await client(await start(handler, options({ onHandlerError: (e) => errors.push(e) })), compression);
      peer.socket.write(clientFrame(OP_TEXT, 'one'));
      await answerClose(peer);
      const info = await closed;
      await peer.waitClosed();
      await sleep(20);
      expect(seen).toEqual(['one']);
      expect(info.code).toBe(1011);
      expect(peer.closeFrame()).toEqual([1011, 'handler failed']);
      expect(errors).toEqual([boom]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', collect);
    }
  });

  it('a throwing close callback goes to onHandlerError', async () => {
    const boom = new Error('boom in close');
    const errors: unknown[] = [];
    const peer = await client(await start({ message: () => {}, close: () => { throw boom; } }, options({ onHandlerError: (e) => errors.push(e) })), compression);
    peer.socket.write(clientFrame(OP_CLOSE, closePayload(1000)));
    await peer.waitClosed();
    await sleep(20);
    expect(errors).toEqual([boom]);
  });

  it('backpressure: past maxReadBufferBytes of replies waiting, reading pauses; drain is called once the buffered amount falls', async () => {
    const events: string[] = [];
    let buffered = -1;
    const port = await start({
      // Far more than the kernel's loopback buffers take (they autotune to a few MiB), so
      // the reply is still buffered here while the peer does not read.
      open: (conn) => { void conn.send(new Uint8Array(16 << 20), { compress: false }); events.push(`sent`); },
      message: (_conn, m) => { events.push(`message:${m.text()}`); },
      drain: (conn) => { buffered = conn.bufferedAmount; events.push('drain'); },
    }, options({ maxReadBufferBytes: 1 << 20 }));
    const peer = await client(port, compression);
    peer.socket.pause(); // the peer does not read: the 16 MiB reply stays buffered
    peer.socket.write(clientFrame(OP_TEXT, 'while full'));
    await sleep(200);
    expect(events).toEqual(['sent']); // not read while the reply is stuck
    peer.socket.resume();
    await peer.waitFrames(1, 20_000);
    // Wait for the events, not a fixed time: a loaded machine can take longer than 100 ms.
    await vi.waitFor(() => expect(events).toEqual(['sent', 'drain', 'message:while full']), { timeout: 5_000, interval: 20 });
    expect(buffered).toBeLessThanOrEqual(64 * 1024);
  });

  it('under maxReadBufferBytes, replies waiting do not stop reading; drain still comes once they are written', async () => {
    const events: string[] = [];
    const port = await start({
      // More than the kernel's loopback buffers take, less than the read buffer.
      open: (conn) => { void conn.send(new Uint8Array(12 << 20), { compress: false }); events.push('sent'); },
      message: (_conn, m) => { events.push(`message:${m.text()}`); },
      drain: () => { events.push('drain'); },
    }, options({ maxReadBufferBytes: 32 << 20 }));
    const peer = await client(port, compression);
    peer.socket.pause();
    peer.socket.write(clientFrame(OP_TEXT, 'still read'));
    await sleep(200);
    expect(events).toEqual(['sent', 'message:still read']);
    peer.socket.resume();
    await peer.waitFrames(1, 20_000);
    await vi.waitFor(() => expect(events).toEqual(['sent', 'message:still read', 'drain']), { timeout: 5_000, interval: 20 });
  });

  it('a message over maxMessageBytes closes with 1009 and is not delivered', async () => {
    const { handler, events, closed } = recording();
    const peer = await client(await start(handler, options({ maxMessageBytes: 100 })), compression);
    const big = 'x'.repeat(500);
    peer.socket.write(concat([clientFrame(OP_TEXT, 'ok'), compression ? compressedFrame(OP_TEXT, big) : clientFrame(OP_TEXT, big)]));
    const info = await closed;
    expect(info.code).toBe(1009);
    expect(events).toEqual(['open', 'text:ok', 'close:1009']);
  });

  it('invalid UTF-8 closes with 1007 and is not delivered', async () => {
    const { handler, events, closed } = recording();
    const peer = await client(await start(handler, options()), compression);
    const bad = new Uint8Array([0x61, 0xc3, 0x28]);
    peer.socket.write(concat([clientFrame(OP_TEXT, 'ok'), compression ? compressedFrame(OP_TEXT, bad) : clientFrame(OP_TEXT, bad)]));
    const info = await closed;
    expect(info.code).toBe(1007);
    expect(events).toEqual(['open', 'text:ok', 'close:1007']);
  });
});

describe('Upgrader.upgrade() with a callback handler', () => {
  let http: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => { if (http) http.close(() => resolve()); else resolve(); http = undefined; }));

  it('delivers messages after open, the close after them', async () => {
    const { handler, events, closed } = recording();
    const upgrader = new Upgrader({ compression: false });
    http = createServer();
    http.on('upgrade', (req, socket, head) => upgrader.upgrade(req, socket, head, handler));
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const peer = await client((http.address() as AddressInfo).port, false);
    peer.socket.write(concat([clientFrame(OP_TEXT, 'hello'), clientFrame(OP_CLOSE, closePayload(1000))]));
    await closed;
    expect(events).toEqual(['open', 'text:hello', 'close:1000']);
    await peer.waitFrames(2);
    expect(decode(peer.frames[0].payload)).toBe('hello');
  });
});
