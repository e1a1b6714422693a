// The send side's order rule (issue 12, findings 1-3): everything sent before close() goes
// out, in order, before the close frame, whether or not it is compressed; a streaming writer
// holds its place; the connection going away rejects what is still queued, never hangs.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import type { CompressionOptions } from '../../src/extensions/deflate-negotiation';
import { CloseError, WebSocketError } from '../../src/errors';
import { prepare } from '../../src/frame/prepared';
import { serve, type WebSocketServer } from '../../src/server';
import { WebSocket } from '../../src/websocket';
import { clientFrame, serverFrame } from '../helpers/frames';
import { RawDeflate } from '../helpers/raw-deflate';
import { rawClient, rawServer, type RawPeer } from '../helpers/raw-peer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const socketOf = (conn: Conn) => (conn as unknown as { core: { socket: Socket } }).core.socket;

/** Compression settings each connection-level test runs with. */
const modes: [string, boolean | CompressionOptions][] = [
  ['compression off', false],
  ['compression on (context takeover)', true],
  ['compression on, no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
];

const json4KiB = JSON.stringify({ items: Array.from({ length: 120 }, (_, i) => ({ id: i, name: `item ${i}` })) });
/** Incompressible bytes (getRandomValues gives at most 64 KiB per call). */
function noise(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(at + 65536, bytes)));
  return out;
}

/** What a peer answers in its 101 to agree on `compression` (undefined: nothing). */
function agreed(compression: boolean | CompressionOptions): string | undefined {
  if (compression === false) return undefined;
  return compression === true ? 'permessage-deflate' : 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
}

/**
 * The messages a raw peer received up to the close frame, inflated with the peer's own zlib
 * (so this checks the wire, not our receive side), and the close frame as [code, reason].
 */
async function wireMessages(peer: RawPeer): Promise<{ texts: string[]; close: [number, string] | undefined }> {
  while (!peer.frames.some((f) => f.opcode === OP_CLOSE) && !peer.ended) await peer.waitFrames(peer.frames.length + 1);
  const inflater = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
  const texts: string[] = [];
  for (const frame of peer.frames) {
    if (frame.opcode === OP_CLOSE) break;
    if (frame.opcode !== OP_TEXT && frame.opcode !== OP_BINARY) continue;
    const data = frame.compressed ? await inflater.decompress(frame.payload) : frame.payload;
    texts.push(frame.opcode === OP_TEXT ? new TextDecoder().decode(data) : `<${data.length} bytes>`);
  }
  inflater.close();
  return { texts, close: peer.closeFrame() };
}

/**
 * A raw server that records what its one client sends up to the client's close frame
 * (`wire()`, see wireMessages), then answers with a close 1000 and ends TCP.
 */
async function recordingServer(compression: boolean | CompressionOptions) {
  let recorded!: Promise<{ texts: string[]; close: [number, string] | undefined }>;
  const { server, port } = await rawServer((peer) => {
    recorded = wireMessages(peer);
    void recorded.then(() => peer.socket.end(serverFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8]))));
  }, agreed(compression));
  return { server, port, wire: () => recorded };
}

/** A raw client peer of the server at `url`, offering permessage-deflate when `compression` is on. */
async function peerOf(url: string, compression: boolean | CompressionOptions): Promise<RawPeer> {
  const offer = compression === false ? '' : 'Sec-WebSocket-Extensions: permessage-deflate\r\n';
  return (await rawClient(Number(new URL(url).port), offer, compression !== false)).peer;
}

/** Echoes a received close (as the client) and ends TCP. */
function echoClose(peer: RawPeer): void {
  const close = peer.frames.find((f) => f.opcode === OP_CLOSE);
  peer.socket.end(clientFrame(OP_CLOSE, close?.payload ?? new Uint8Array(0)));
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 200 });
});

/** A server whose handler is `handler`, and the server Conn of the next connection. */
async function start(compression: boolean | CompressionOptions, handler: (conn: Conn) => void | Promise<void> = () => {}, extra: object = {}) {
  let resolveConn!: (c: Conn) => void;
  const serverConn = new Promise<Conn>((r) => { resolveConn = r; });
  const server = await serve({ port: 0, compression, ...extra }, (conn) => { resolveConn(conn); return handler(conn); });
  servers.push(server);
  return { url: `ws://127.0.0.1:${server.address().port}/`, serverConn };
}

describe.each(modes)('send order, %s', (_name, compression) => {
  it('server: send(), send(), send() then close() in one turn: all three arrive in order, then the close', async () => {
    const big = noise(100_000);
    const { url, serverConn } = await start(compression, (conn) => {
      void conn.send(json4KiB);
      void conn.send('small');
      void conn.send(big);
      void conn.close(4000, 'done');
    });
    const peer = await peerOf(url, compression);
    const { texts, close } = await wireMessages(peer);
    expect(texts).toEqual([json4KiB, 'small', '<100000 bytes>']);
    expect(close).toEqual([4000, 'done']);
    echoClose(peer);
    expect(await (await serverConn).closed).toEqual({ code: 4000, reason: 'done', wasClean: true });
  });

  it('client: send(json) then await close(): the message reaches the server before the close', async () => {
    const { server, port, wire } = await recordingServer(compression);
    try {
      const client = await dial(`ws://127.0.0.1:${port}/`, { compression });
      const sent = client.send(json4KiB);
      expect(await client.close()).toMatchObject({ code: 1000, wasClean: true });
      await sent;
      expect(await wire()).toEqual({ texts: [json4KiB], close: [1000, ''] });
    } finally {
      server.close();
    }
  });

  it('everything accepted before close() goes out: 40 mixed sends, none awaited', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `${i} ${'long '.repeat(400)}` : `short ${i}`));
    const results: Promise<void>[] = [];
    const { url } = await start(compression, (conn) => {
      for (const m of messages) results.push(conn.send(m));
      void conn.close();
    });
    const peer = await peerOf(url, compression);
    const { texts, close } = await wireMessages(peer);
    expect(texts).toEqual(messages);
    expect(close).toEqual([1000, '']);
    echoClose(peer);
    await Promise.all(results); // every send resolved: each was written
  });

  it('a close received while our messages are compressing: they go out first, then the echo with its reason', async () => {
    const sizes = [300_000, 300_000, 300_000];
    const { url, serverConn } = await start(compression, (conn) => {
      for (const size of sizes) void conn.send(noise(size)).catch(() => {});
    });
    const peer = await peerOf(url, compression);
    peer.socket.write(clientFrame(OP_CLOSE, new Uint8Array([0x0f, 0xa1, 0x62, 0x79, 0x65]))); // 4001 'bye'
    const { texts, close } = await wireMessages(peer);
    expect(texts).toEqual(sizes.map((n) => `<${n} bytes>`));
    expect(close).toEqual([4001, 'bye']);
    expect(await (await serverConn).closed).toEqual({ code: 4001, reason: 'bye', wasClean: true });
    await peer.waitClosed();
  });

  it('close() twice: one close frame, both calls resolve with the same outcome', async () => {
    const { url, serverConn } = await start(compression);
    const peer = await peerOf(url, compression);
    const conn = await serverConn;
    void conn.send(json4KiB);
    const first = conn.close(4001, 'first');
    const second = conn.close(4002, 'second');
    await peer.waitFrames(2);
    expect(peer.frames.map((f) => f.opcode)).toEqual([OP_TEXT, OP_CLOSE]);
    expect(peer.closeFrame()).toEqual([4001, 'first']);
    peer.socket.end(new Uint8Array([0x88, 0x82, 0, 0, 0, 0, 0x0f, 0xa1])); // echo 4001
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ code: 4001, wasClean: true });
    await peer.waitClosed();
    expect(peer.frames.filter((f) => f.opcode === OP_CLOSE)).toHaveLength(1);
  });

  it('a writer open at close(): its remaining fragments, then sends queued behind it, then the close', async () => {
    let lateSend: Promise<unknown> | undefined;
    let done!: Promise<unknown>;
    const { url } = await start(compression, async (conn) => {
      void conn.send(json4KiB);
      const writer = await conn.nextWriter('text');
      await writer.write('frag-');
      const behind = conn.send('sent while the writer was open');
      const closing = conn.close(1000, 'bye');
      lateSend = conn.send('after close').catch((e: unknown) => e);
      await sleep(20);
      await writer.write('mented');
      await writer.close();
      done = Promise.all([behind, closing]);
    });
    const peer = await peerOf(url, compression);
    const { texts, close } = await wireMessages(peer);
    expect(texts).toEqual([json4KiB, 'frag-mented', 'sent while the writer was open']);
    expect(close).toEqual([1000, 'bye']);
    echoClose(peer);
    await done;
    expect(String(await lateSend)).toMatch(/closing or closed/);
  });

  it('a writer never closed after close(): the close waits for it until closeTimeoutMs, then TCP is dropped', async () => {
    let writes!: Promise<unknown>;
    const { url, serverConn } = await start(compression, async (conn) => {
      const writer = await conn.nextWriter('text');
      await writer.write('never finished');
      void conn.close();
      await sleep(50);
      writes = writer.write('more').then(() => 'written', (e: unknown) => e); // still usable while closing
    }, { closeTimeoutMs: 300 });
    const peer = await peerOf(url, compression);
    expect(await (await serverConn).closed).toMatchObject({ code: 1006, wasClean: false });
    await peer.waitClosed();
    expect(peer.closeFrame()).toBeUndefined(); // no close frame in the middle of the message
    expect(await writes).toBe('written');
  });

  it('the peer closes while a writer is open and is never answered (closeTimeoutMs): not clean, our echo never went out', async () => {
    const { url, serverConn } = await start(compression, async (conn) => {
      const writer = await conn.nextWriter('text');
      await writer.write('never finished'); // abandoned: the echo waits behind it
      await conn.closed;
    }, { closeTimeoutMs: 300 });
    const peer = await peerOf(url, compression);
    await sleep(100); // the fragment is out
    peer.socket.write(clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
    const info = await (await serverConn).closed;
    await peer.waitClosed();
    expect(peer.closeFrame()).toBeUndefined();
    expect(info.wasClean).toBe(false); // RFC 6455 §7.1.5: clean only when both close frames were exchanged
  });

  it('a failing connection does not wait for an open writer: the close goes after its fragments so far', async () => {
    let outcomes!: Promise<unknown[]>;
    const { url, serverConn } = await start(compression, async (conn) => {
      const writer = await conn.nextWriter('text');
      await writer.write('frag-');
      const behind = conn.send('queued behind the writer').then(() => 'sent', (e: unknown) => e);
      try { await conn.read(); } catch { /* the peer's bad frame fails the connection */ }
      outcomes = Promise.all([behind, writer.write('late').then(() => 'written', (e: unknown) => e)]);
    }, { closeTimeoutMs: 10_000 });
    const peer = await peerOf(url, compression);
    await sleep(50);
    peer.socket.write(clientFrame(0x3, 'reserved opcode'));
    await peer.waitFrames(1, 2000); // long before closeTimeoutMs
    expect(peer.closeFrame()?.[0]).toBe(1002);
    expect(peer.frames.map((f) => f.opcode)).toEqual([OP_CLOSE]); // the fragment never completed
    expect(await (await serverConn).closed).toMatchObject({ code: 1002 });
    const [behind, late] = await outcomes;
    expect(behind).toBeInstanceOf(WebSocketError);
    expect(late).toBeInstanceOf(WebSocketError);
  });

  it('terminate() with sends still queued (compressing or not): each rejects with a CloseError, none hangs', async () => {
    const { url, serverConn } = await start(compression);
    const client = await dial(url, { compression });
    const conn = await serverConn;
    const sends = Array.from({ length: 12 }, (_, i) => conn.send(i % 2 ? noise(200_000) : `text ${i}`));
    conn.terminate();
    const outcomes = await Promise.allSettled(sends);
    // The first was queued under the high-water mark with nothing ahead: it resolved at once
    // (send() resolves once queued, README). Every later one waited behind 200 KB.
    expect(outcomes.shift()!.status).toBe('fulfilled');
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CloseError);
    }
    await client.closed;
  });

  it('sends nobody awaits never become unhandled rejections when the connection goes (fire and forget)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { url, serverConn } = await start(compression, undefined, { maxBufferedBytes: 1 << 20 });
      const client = await dial(url, { compression });
      const conn = await serverConn;
      for (let i = 0; i < 6; i++) void conn.send(i % 2 ? noise(300_000) : `text ${i}`); // some past the limit
      conn.terminate();
      void conn.send('after terminate');
      await client.closed;
      await sleep(100);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a MessageWriter\'s writes and close nobody awaits never become unhandled rejections when the connection goes', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { url, serverConn } = await start(compression);
      const client = await dial(url, { compression });
      const conn = await serverConn;
      const writer = await conn.nextWriter('text');
      void writer.write('first');
      conn.terminate();
      void writer.write('after terminate');
      void writer.close();
      void writer.close(); // closed (finished) already
      const another = await conn.nextWriter('binary').catch((e: unknown) => e);
      expect(another).toBeInstanceOf(WebSocketError);
      await client.closed;
      await sleep(100);
      expect(unhandled).toEqual([]);
      await expect(writer.write('still')).rejects.toBeInstanceOf(WebSocketError); // awaited, the error is seen
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it("the peer's FIN with sends still compressing: they settle (none hangs), the connection closes 1006", async () => {
    const { url, serverConn } = await start(compression);
    const peer = await peerOf(url, compression);
    const conn = await serverConn;
    const sends = Array.from({ length: 6 }, () => conn.send(noise(300_000)).then(() => 'sent', (e: unknown) => e));
    peer.socket.end(); // FIN, no close frame
    const outcomes = await Promise.race([Promise.all(sends), sleep(4000).then(() => 'hung')]);
    expect(outcomes).not.toBe('hung');
    for (const outcome of outcomes as unknown[]) expect(outcome === 'sent' || outcome instanceof WebSocketError).toBe(true);
    expect(await conn.closed).toMatchObject({ code: 1006, wasClean: false });
  });

  it('a socket error with sends still queued: each rejects, the connection closes as failed', async () => {
    const { url, serverConn } = await start(compression);
    const client = await dial(url, { compression });
    const conn = await serverConn;
    const sends = Array.from({ length: 8 }, () => conn.send(noise(300_000)));
    socketOf(conn).destroy(new Error('boom'));
    const outcomes = await Promise.allSettled(sends);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof WebSocketError)).toBe(true);
    expect(await conn.closed).toMatchObject({ code: 1006, wasClean: false });
    await client.closed;
  });
});

describe('a client reuses its buffer as soon as send() returns', () => {
  it.each(modes)('%s: the message sent is the bytes at send() time', async (_name, compression) => {
    const { server, port, wire } = await recordingServer(compression);
    try {
      const client = await dial(`ws://127.0.0.1:${port}/`, { compression });
      const buffer = new TextEncoder().encode(json4KiB);
      const sent = client.send(buffer, { binary: false });
      buffer.fill(0x21); // reused at once: '!!!…'
      void client.close();
      await sent;
      expect((await wire()).texts).toEqual([json4KiB]);
    } finally {
      server.close();
    }
  });
});

describe('a PreparedMessage compressed once for many connections (finding 2)', () => {
  const shared = { serverNoContextTakeover: true, clientNoContextTakeover: true };

  it('does not depend on the first connection that compressed it: that one closing does not break it for others', async () => {
    const conns: Conn[] = [];
    const server = await serve({ port: 0, compression: shared }, (conn) => { conns.push(conn); });
    servers.push(server);
    const url = `ws://127.0.0.1:${server.address().port}/`;
    const a = await dial(url, { compression: shared });
    const b = await dial(url, { compression: shared });
    while (conns.length < 2) await sleep(5);
    const [serverA, serverB] = conns;
    // A is busy compressing when the prepared message is first asked of it, then goes away.
    const busy = Array.from({ length: 6 }, () => serverA.send(noise(1 << 20)).catch(() => {}));
    const prepared = prepare(json4KiB.repeat(4));
    const viaA = serverA.send(prepared).catch((e: unknown) => e);
    const viaB = serverB.send(prepared);
    serverA.terminate();
    await viaB;
    expect((await b.read()).text()).toBe(json4KiB.repeat(4));
    // And after A is gone, the shared encoding still serves new sends.
    await serverB.send(prepared);
    expect((await b.read()).text()).toBe(json4KiB.repeat(4));
    await Promise.all([...busy, viaA, a.closed]);
    await b.close();
  });
});

describe('the WHATWG WebSocket: send, send, close', () => {
  it.each(modes)('%s: ws.send(big); ws.send("small"); ws.close() all arrive', async (_name, compression) => {
    const { server, port, wire } = await recordingServer(compression);
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [], { compression });
      await new Promise((r) => ws.addEventListener('open', r, { once: true }));
      ws.send(noise(1 << 20));
      // Counted from the moment send() is called, compressing or not (finding 3).
      expect(ws.bufferedAmount).toBeGreaterThanOrEqual(1 << 20);
      ws.send('small');
      ws.close(1000, 'bye');
      await new Promise((r) => ws.addEventListener('close', r, { once: true }));
      expect(await wire()).toEqual({ texts: [`<${1 << 20} bytes>`, 'small'], close: [1000, 'bye'] });
    } finally {
      server.close();
    }
  });
});
