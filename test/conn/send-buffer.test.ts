// bufferedAmount and maxBufferedBytes count a message from the moment send() is called,
// while it is being compressed too (issue 12, finding 3).
import { afterEach, describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE } from '../../src/codec/constants';
import type { Conn } from '../../src/conn/connection';
import type { CompressionOptions } from '../../src/extensions/deflate-negotiation';
import { WebSocketError } from '../../src/errors';
import { serve, type WebSocketServer } from '../../src/server';
import { WebSocket } from '../../src/websocket';
import { clientFrame } from '../helpers/frames';
import { rawClient, type RawPeer } from '../helpers/raw-peer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

const modes: [string, boolean | CompressionOptions][] = [
  ['compression off', false],
  ['compression on (context takeover)', true],
  ['compression on, no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
];

/** Incompressible bytes (getRandomValues gives at most 64 KiB per call). */
function noise(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(at + 65536, bytes)));
  return out;
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 200 });
});

/** A server Conn with a raw client peer (offering permessage-deflate when compression is on). */
async function connPair(compression: boolean | CompressionOptions, extra: object = {}): Promise<{ conn: Conn; peer: RawPeer }> {
  let resolveConn!: (c: Conn) => void;
  const serverConn = new Promise<Conn>((r) => { resolveConn = r; });
  const server = await serve({ port: 0, compression, ...extra }, (conn) => resolveConn(conn));
  servers.push(server);
  const offer = compression === false ? '' : 'Sec-WebSocket-Extensions: permessage-deflate\r\n';
  const { peer } = await rawClient(server.address().port, offer, compression !== false);
  return { conn: await serverConn, peer };
}

describe.each(modes)('send buffer accounting, %s', (_name, compression) => {
  it('bufferedAmount counts a message from send() on, and falls back once it is written', async () => {
    const { conn, peer } = await connPair(compression);
    const sent = conn.send(noise(MiB));
    expect(conn.bufferedAmount).toBeGreaterThanOrEqual(MiB);
    await sent;
    await peer.waitFrames(1);
    for (let i = 0; i < 100 && conn.bufferedAmount > 0; i++) await sleep(10);
    expect(conn.bufferedAmount).toBe(0);
    peer.socket.destroy();
  });

  it('maxBufferedBytes bounds 256 unawaited 256 KiB sends to a peer that does not read', async () => {
    const max = 8 * MiB;
    const { conn, peer } = await connPair(compression, { maxBufferedBytes: max });
    peer.socket.pause(); // never reads
    const outcomes: Promise<unknown>[] = [];
    let peak = 0;
    for (let i = 0; i < 256; i++) {
      outcomes.push(conn.send(noise(256 * 1024)).then(() => 'sent', (e: unknown) => e));
      peak = Math.max(peak, conn.bufferedAmount);
    }
    const slack = 64 * 1024; // frame headers, and deflate's few bytes of growth on noise
    expect(peak).toBeLessThanOrEqual(max + slack);
    await sleep(300); // compression done: still bounded
    expect(conn.bufferedAmount).toBeLessThanOrEqual(max + slack);
    const settled = await Promise.race([Promise.all(outcomes.slice(40)), sleep(2000).then(() => 'pending')]);
    expect(settled).not.toBe('pending'); // those past the limit were rejected at once
    const full = (settled as unknown[]).filter((o) => o instanceof WebSocketError && o.code === 'WS_ERR_BUFFER_FULL');
    expect(full.length).toBe(216);
    peer.socket.destroy();
    await Promise.all(outcomes); // the accepted ones settle too (rejected by the close), none hangs
  }, 20_000);

  it('maxBufferedBytes bounds a streamed message too: unawaited MessageWriter writes past it reject, the message goes on', async () => {
    const max = 2 * MiB;
    const { conn, peer } = await connPair(compression, { maxBufferedBytes: max });
    peer.socket.pause(); // never reads
    const writer = await conn.nextWriter('binary');
    const outcomes: Promise<unknown>[] = [];
    let peak = 0;
    for (let i = 0; i < 64; i++) {
      outcomes.push(writer.write(noise(256 * 1024)).then(() => 'sent', (e: unknown) => e));
      peak = Math.max(peak, conn.bufferedAmount);
    }
    expect(peak).toBeLessThanOrEqual(max + 64 * 1024);
    const settled = await Promise.race([Promise.all(outcomes.slice(16)), sleep(2000).then(() => 'pending')]);
    expect(settled).not.toBe('pending');
    expect((settled as unknown[]).every((o) => o instanceof WebSocketError && o.code === 'WS_ERR_BUFFER_FULL')).toBe(true);
    expect(conn.readyState).toBe('open');
    peer.socket.destroy();
    await Promise.all(outcomes);
  });

  // Room for exactly four 256 KiB messages, frame headers included.
  const fourMessages = 4 * (256 * 1024 + 16);

  it("bufferFullPolicy 'close': what was accepted is delivered, then the close with 1008", async () => {
    const { conn, peer } = await connPair(compression, { maxBufferedBytes: fourMessages, bufferFullPolicy: 'close' });
    const outcomes = Array.from({ length: 16 }, () => conn.send(noise(256 * 1024)).then(() => 'sent', (e: unknown) => e));
    const results = await Promise.all(outcomes);
    const full = (r: unknown) => r instanceof WebSocketError && r.code === 'WS_ERR_BUFFER_FULL';
    expect(results.filter(full)).toHaveLength(12);
    while (!peer.frames.some((f) => f.opcode === OP_CLOSE) && !peer.ended) await peer.waitFrames(peer.frames.length + 1);
    // The four accepted messages go out before the close, even if the socket closes before it drains.
    expect(peer.frames.map((f) => f.opcode)).toEqual([OP_BINARY, OP_BINARY, OP_BINARY, OP_BINARY, OP_CLOSE]);
    expect(peer.closeFrame()).toEqual([1008, 'send buffer full']);
    expect(await conn.closed).toMatchObject({ code: 1008 });
  });

  it("bufferFullPolicy 'reject': a send past the limit fails alone; the connection goes on, in order", async () => {
    const { conn, peer } = await connPair(compression, { maxBufferedBytes: fourMessages });
    const first = Array.from({ length: 6 }, (_, i) => conn.send(noise(256 * 1024)).then(() => i, (e: unknown) => e));
    const results = await Promise.all(first);
    expect(results.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(results.slice(4).every((r) => r instanceof WebSocketError && r.code === 'WS_ERR_BUFFER_FULL')).toBe(true);
    await conn.send('after');
    await peer.waitFrames(5);
    expect(peer.frames.length).toBe(5);
    expect(new TextDecoder().decode(peer.frames[4].payload)).toBe('after'); // under the compression threshold
    expect(conn.readyState).toBe('open');
    peer.socket.write(clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
    expect(await conn.closed).toMatchObject({ code: 1000, wasClean: true });
  });
});

describe("the browser idiom: while (ws.bufferedAmount < limit) ws.send(chunk)", () => {
  it.each(modes)('%s: stops at the limit', async (_name, compression) => {
    const server = await serve({ port: 0, compression }, () => { /* never reads */ });
    servers.push(server);
    const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/`, [], { compression });
    await new Promise((r) => ws.addEventListener('open', r, { once: true }));
    const chunk = noise(256 * 1024);
    let sends = 0;
    while (ws.bufferedAmount < 8 * MiB && sends < 2000) { ws.send(chunk); sends++; }
    expect(sends).toBeLessThanOrEqual(33);
    ws.close();
    await new Promise((r) => ws.addEventListener('close', r, { once: true }));
  }, 20_000);
});

describe('a compression that fails', () => {
  it('rejects its send with WS_ERR_DEFLATE_FAILED, fails the connection with 1011, and stalls nobody else', async () => {
    // A level zlib refuses: the stream cannot even be made. concurrency 3 is this test's own limiter.
    const bad = { level: 42, concurrency: 3 };
    for (let i = 0; i < 5; i++) {
      const { conn, peer } = await connPair(bad);
      const error = await conn.send(noise(4096)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebSocketError);
      expect((error as WebSocketError).code).toBe('WS_ERR_DEFLATE_FAILED');
      await peer.waitFrames(1);
      expect(peer.closeFrame()).toEqual([1011, 'compression failed']);
      expect(await conn.closed).toMatchObject({ code: 1011, wasClean: false });
    }
    // The process-wide limiter for concurrency 3 still runs jobs.
    const { conn, peer } = await connPair({ concurrency: 3 });
    await conn.send(noise(4096));
    await peer.waitFrames(1);
    expect(peer.frames[0]).toMatchObject({ opcode: OP_BINARY, compressed: true });
    peer.socket.destroy();
  });
});
