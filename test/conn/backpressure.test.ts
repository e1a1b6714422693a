import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OP_BINARY } from '../../src/codec/constants';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { serve } from '../../src/server';
import { serverFrame } from '../helpers/frames';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection's internals, for tests that must see or stall them. */
const internals = (conn: Conn) => (conn as unknown as { core: { socket: Socket; inbox: { queuedMessages: number } } }).core;

describe('bounded memory', () => {
  it('a client whose first read already fills its read buffer stays paused until the application reads', async () => {
    const frames = [serverFrame(OP_BINARY, new Uint8Array(100).fill(1)), serverFrame(OP_BINARY, new Uint8Array(100).fill(2))];
    // The 101 and both messages in one write, so they reach the client in its first read.
    const server = createServer((socket) => socket.once('data', (request) => {
      const key = /sec-websocket-key:\s*(\S+)/i.exec(request.toString())![1];
      const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(head), ...frames]));
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const conn = await dial(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { maxReadBufferBytes: 50, compression: false });
    const socket = internals(conn).socket;
    expect(socket.isPaused()).toBe(true);
    expect((await conn.read()).data[0]).toBe(1);
    expect((await conn.read()).data[0]).toBe(2);
    expect(socket.isPaused()).toBe(false);
    conn.terminate();
    server.close();
  });

  it('send() stops resolving when the peer stops reading, and everything arrives once it reads', async () => {
    let serverConn!: Conn;
    // Uncompressed, so that 64 KiB of ones are 64 KiB on the wire.
    const server = await serve({ port: 0, compression: false }, (conn) => { serverConn = conn; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    while (!serverConn) await sleep(5);
    // The client stops reading: pause its socket under the Conn.
    internals(conn).socket.pause();
    const chunk = new Uint8Array(64 * 1024).fill(1);
    let sent = 0;
    let blocked = false;
    const sending = (async () => {
      for (let i = 0; i < 2000; i++) { await serverConn.send(chunk); sent++; }
    })();
    for (let waited = 0; waited < 3000 && !blocked; waited += 50) {
      const before = sent;
      await sleep(50);
      blocked = sent === before && sent > 0;
    }
    expect(blocked).toBe(true);
    expect(sent).toBeLessThan(2000);
    // What the server holds is bounded by the socket's high-water mark and the kernel buffers, not by the 128 MiB offered.
    expect(serverConn.bufferedAmount).toBeLessThan(32 * 1024 * 1024);
    internals(conn).socket.resume();
    let received = 0;
    while (received < 2000) { await conn.read(); received++; }
    await sending;
    expect(sent).toBe(2000);
    await conn.close();
    await server.close({ timeoutMs: 200 });
  }, 30_000);

  it('a reader that does not keep up pauses the socket; nothing is lost or reordered', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, maxReadBufferBytes: 512 * 1024, compression: false }, (conn) => { serverConn = conn; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    while (!serverConn) await sleep(5);
    const total = 800; // 800 × 64 KiB = 50 MiB offered while the server app reads nothing
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        const m = crypto.getRandomValues(new Uint8Array(64 * 1024)); // incompressible
        new DataView(m.buffer).setUint32(0, i);
        await conn.send(m);
        sent++;
      }
    })();
    await sleep(500);
    expect(sent).toBeLessThan(total); // the server stopped reading, so the client is held back
    const inbox = internals(serverConn).inbox;
    expect(inbox.queuedMessages * 64 * 1024).toBeLessThan(2 * 1024 * 1024);
    for (let i = 0; i < total; i++) {
      const m = await serverConn.read();
      expect(new DataView(m.data.buffer, m.data.byteOffset).getUint32(0)).toBe(i);
    }
    await sending;
    await conn.close();
    await server.close({ timeoutMs: 200 });
  }, 30_000);

  it('inflates nothing while unread messages fill the read buffer (compressed 1000:1)', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, maxReadBufferBytes: 1024 * 1024 }, (conn) => { serverConn = conn; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    while (!serverConn) await sleep(5);
    const zeros = new Uint8Array(1024 * 1024); // ~1 KiB compressed
    for (let i = 0; i < 200; i++) await conn.send(zeros); // 200 MiB inflated, ~200 KiB on the wire
    await sleep(300);
    const inbox = internals(serverConn).inbox;
    expect(inbox.queuedMessages).toBeLessThanOrEqual(2); // the 1 MiB limit, plus the message that crossed it
    for (let i = 0; i < 200; i++) expect((await serverConn.read()).data.length).toBe(1024 * 1024);
    await conn.close();
    await server.close({ timeoutMs: 200 });
  }, 30_000);

  it('stays bounded when compressed and uncompressed messages mix (one pause holder cannot undo another)', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, maxReadBufferBytes: 256 * 1024 }, (conn) => { serverConn = conn; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    while (!serverConn) await sleep(5);
    const zeros = new Uint8Array(256 * 1024);
    const noise = crypto.getRandomValues(new Uint8Array(64 * 1024));
    const sending = (async () => {
      for (let i = 0; i < 200; i++) {
        await conn.send(zeros); // compressed
        await conn.send(noise, { compress: false });
      }
    })();
    await sleep(800);
    const inbox = internals(serverConn).inbox;
    // 256 KiB of unread messages at most, plus what crossed the limit: never the 64 MiB offered.
    expect(inbox.queuedMessages).toBeLessThanOrEqual(8);
    for (let i = 0; i < 400; i++) expect((await serverConn.read()).data.length).toBe(i % 2 ? 64 * 1024 : 256 * 1024);
    await sending;
    await conn.close();
    await server.close({ timeoutMs: 200 });
  }, 30_000);

  it('answers a flood of pings from a peer that never reads with bounded memory', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0 }, (conn) => { serverConn = conn; });
    const socket = connect(server.address().port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    while (!serverConn) await sleep(5);
    socket.pause(); // never read the pongs
    const ping = new Uint8Array([0x89, 0xfd, 0, 0, 0, 0, ...new Uint8Array(125)]);
    const burst = new Uint8Array(ping.length * 1000);
    for (let i = 0; i < 1000; i++) burst.set(ping, i * ping.length);
    for (let i = 0; i < 100; i++) { socket.write(burst); await sleep(2); } // 100,000 pings, 13 MB of pongs if all were kept
    await sleep(300);
    expect(serverConn.bufferedAmount).toBeLessThan(8 * 1024 * 1024);
    socket.destroy();
    await server.close({ timeoutMs: 200 });
  }, 30_000);

  it('streams a 1 GiB message through nextReader/nextWriter with bounded memory', async () => {
    const GiB = 1024 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
    let received = 0;
    let peakRss = 0;
    const server = await serve({ port: 0, maxMessageBytes: 2 * GiB, maxReadBufferBytes: 4 * 1024 * 1024 }, async (conn) => {
      const reader = await conn.nextReader();
      for await (const part of reader) {
        received += part.length;
        if (part[0] !== 0x5a || part[part.length - 1] !== 0x5a) throw new Error('corrupt');
      }
      await conn.send(`got ${received}`);
    });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    const writer = await conn.nextWriter('binary');
    for (let sent = 0; sent < GiB; sent += chunk.length) {
      await writer.write(chunk);
      if ((sent & (64 * 1024 * 1024 - 1)) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    await writer.close();
    expect((await conn.read()).text()).toBe(`got ${GiB}`);
    expect(peakRss - baseline).toBeLessThan(256 * 1024 * 1024);
    await conn.close();
    await server.close({ timeoutMs: 200 });
  }, 120_000);
});
