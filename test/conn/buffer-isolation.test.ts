import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OP_BINARY, OP_PING } from '../../src/codec/constants';
import type { CodecKind } from '../../src/codec/select';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { serve } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when `buffer` holds the bytes of `marker` anywhere. */
function contains(buffer: ArrayBufferLike, marker: string): boolean {
  return Buffer.from(buffer as ArrayBuffer).includes(Buffer.from(marker));
}

describe.each(['js', 'wasm'] as CodecKind[])('whatever a user reaches from a payload holds only its own connection\'s bytes (%s codec)', (codec) => {
  it('onPing payloads have buffers of their own: B\'s never shows A\'s ping, and transferring one breaks nothing', async () => {
    const payloads = new Map<string, Uint8Array[]>();
    const server = await serve({ port: 0, codec, compression: false }, (conn) => {
      conn.onPing = (payload) => {
        const who = new TextDecoder().decode(payload).slice(0, 1);
        if (!payloads.has(who)) payloads.set(who, []);
        payloads.get(who)!.push(payload);
      };
    });
    const port = server.address().port;
    const a = await rawClient(port);
    const b = await rawClient(port);
    await a.peer.send(clientFrame(OP_PING, 'A-secret-ping-payload'));
    await a.peer.waitFrames(1);
    await b.peer.send(clientFrame(OP_PING, 'B-ping'));
    await b.peer.waitFrames(1);
    const [aPayload] = payloads.get('A')!;
    const [bPayload] = payloads.get('B')!;
    expect(contains(bPayload.buffer, 'A-secret')).toBe(false);
    expect(bPayload.buffer.byteLength).toBe(bPayload.length);
    structuredClone(aPayload.buffer, { transfer: [aPayload.buffer as ArrayBuffer] }); // detaches A's payload only
    await b.peer.send(clientFrame(OP_PING, 'B-again'));
    await b.peer.waitFrames(2);
    expect(new TextDecoder().decode(b.peer.frames[1].payload)).toBe('B-again');
    expect(new TextDecoder().decode(payloads.get('B')![1])).toBe('B-again');
    a.peer.socket.destroy();
    b.peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });

  it('inflated messages (pooled inflaters, no context takeover) never show another connection\'s message', async () => {
    const received: { who: string; data: Uint8Array }[] = [];
    const server = await serve({ port: 0, codec, compression: { threshold: 0 } }, async (conn) => {
      try { for await (const m of conn) received.push({ who: m.text().slice(0, 1), data: m.data }); } catch { /* closed */ }
    });
    const url = `ws://127.0.0.1:${server.address().port}/`;
    const options = { codec, compression: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true } };
    const a = await dial(url, options);
    const b = await dial(url, options);
    for (let i = 0; i < 5; i++) {
      await a.send(`A-secret-message-${i}`);
      while (received.length < 2 * i + 1) await sleep(2);
      await b.send(`B-message-${i}`);
      while (received.length < 2 * i + 2) await sleep(2);
    }
    for (const { data } of received.filter((r) => r.who === 'B')) {
      expect(contains(data.buffer, 'A-secret')).toBe(false);
      expect(new TextDecoder().decode(data)).toMatch(/^B-message-\d$/);
    }
    await a.close();
    await b.close();
    await server.close({ timeoutMs: 200 });
  });

  it('streamed chunks of a message split across reads never show another connection\'s bytes', async () => {
    let streamer: Conn | undefined;
    const others: Conn[] = [];
    const chunks: Uint8Array[] = [];
    // A plain handler keeps the connections it stashes (an async one that returns is closed).
    const server = await serve({ port: 0, codec, compression: false }, (conn) => {
      if (conn.request?.url !== '/stream') { others.push(conn); return; }
      streamer = conn;
      void (async () => {
        const reader = await conn.nextReader();
        for await (const chunk of reader) chunks.push(chunk);
      })().catch(() => {});
    });
    const port = server.address().port;
    const other = await dial(`ws://127.0.0.1:${port}/other`, { compression: false });
    while (others.length === 0) await sleep(2);
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.setNoDelay(true);
    socket.write(`GET /stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    while (!streamer) await sleep(2);
    await sleep(20); // the reader is waiting
    const payload = new Uint8Array(40_000).fill(0x62);
    const bytes = clientFrame(OP_BINARY, payload);
    // 2 KiB pieces, none holding a whole frame; between them the server writes small
    // messages to the other connection (through its shared output slab).
    for (let at = 0; at < bytes.length; at += 2048) {
      await others[0].send(`C-secret-${at}`);
      socket.write(bytes.subarray(at, at + 2048));
      await sleep(2);
    }
    while (chunks.reduce((n, c) => n + c.length, 0) < payload.length) await sleep(5);
    for (const chunk of chunks) expect(contains(chunk.buffer, 'C-secret')).toBe(false);
    socket.destroy();
    await other.close();
    await server.close({ timeoutMs: 200 });
  });
});

describe('buffers follow the bytes that arrived, not what a header announces', () => {
  it('20 connections announcing 64 MiB with 1 byte each keep arrayBuffers small', async () => {
    const server = await serve({ port: 0, compression: false }, async (conn) => {
      try { for await (const _ of conn) { /* never completes */ } } catch { /* closed */ }
    });
    const port = server.address().port;
    const before = process.memoryUsage().arrayBuffers;
    const peers = await Promise.all(Array.from({ length: 20 }, () => rawClient(port)));
    for (const { peer } of peers) {
      const header = new Uint8Array(15);
      header[0] = 0x80 | OP_BINARY;
      header[1] = 0x80 | 127;
      new DataView(header.buffer).setBigUint64(2, BigInt(64 << 20)); // the default maxMessageBytes
      header[14] = 1; // key 0, one payload byte
      await peer.send(header);
    }
    await sleep(300);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20); // 20 × 64 MiB announced = 1.25 GiB
    for (const { peer } of peers) peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });
});
