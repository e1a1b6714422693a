// The README's idiom `for await (const msg of conn) await conn.send(msg)` (issue 13, target 1):
// a send under the high-water mark resolves at once (one shared settled promise), so every
// message of one socket read is answered in the same turn and the answers leave in one
// write; over the mark, or while the socket needs a drain, a send still waits (backpressure).
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import { Conn } from '../../src/conn/connection';
import type { ConnSocket } from '../../src/conn/core';
import type { CompressionOptions } from '../../src/extensions/deflate-negotiation';
import { serve, type WebSocketServer } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient, type RawPeer } from '../helpers/raw-peer';

const turn = () => new Promise((r) => setImmediate(r));

/** A socket that records each write call; `needDrain` and `buffered` stand in for the kernel's backlog. */
class FakeSocket extends EventEmitter {
  writes: Uint8Array[] = [];
  writableLength = 0;
  writableNeedDrain = false;
  destroyed = false;
  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean {
    this.writes.push(data.slice());
    callback?.(null);
    return !this.writableNeedDrain;
  }
  cork(): void {}
  uncork(): void {}
  end(): void {}
  destroy(): void { this.destroyed = true; this.emit('close'); }
  pause(): void {}
  resume(): void {}
}

/** Frame count of server (unmasked) frames in `bytes`. */
function countFrames(bytes: Uint8Array): number {
  let frames = 0;
  for (let at = 0; at + 2 <= bytes.length; frames++) {
    const len7 = bytes[at + 1] & 0x7f;
    const header = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
    const length = len7 === 126 ? (bytes[at + 2] << 8) | bytes[at + 3] : len7;
    at += header + length;
  }
  return frames;
}

function serverConn(socket: FakeSocket): Conn {
  return new Conn({ socket: socket as unknown as ConnSocket, role: 'server', options: { pingIntervalMs: 0 } });
}

/** 16 masked frames in one chunk, as a pipelining client writes them. */
function batch(count: number, size: number): Uint8Array {
  const frames = Array.from({ length: count }, (_, i) => clientFrame(OP_BINARY, new Uint8Array(size).fill(i)));
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) { out.set(f, at); at += f.length; }
  return out;
}

describe('send() under the high-water mark (fake socket)', () => {
  it('the README idiom answers every message of one read in the same turn, in one write', async () => {
    const socket = new FakeSocket();
    const conn = serverConn(socket);
    let answered = 0;
    void (async () => {
      for await (const msg of conn) { await conn.send(msg.data); answered++; }
    })().catch(() => {});
    socket.emit('data', batch(16, 32));
    await turn(); // scheduled before the handler ran, so before its flush
    expect(answered).toBe(16); // all in the read's own turn: microtasks only
    await turn(); // the end-of-turn flush
    expect(socket.writes.length).toBe(1);
    expect(countFrames(socket.writes[0])).toBe(16);
    conn.terminate();
  });

  it('terminate() writes the frames already encoded this turn before it drops TCP (as ws, whose writes are synchronous)', async () => {
    const socket = new FakeSocket();
    const conn = serverConn(socket);
    await conn.send('last words');
    await conn.send(new Uint8Array(100));
    expect(socket.writes.length).toBe(0); // queued for the end of the turn
    conn.terminate();
    expect(socket.destroyed).toBe(true);
    expect(socket.writes.length).toBe(1);
    expect(countFrames(socket.writes[0])).toBe(2);
    expect(new TextDecoder().decode(socket.writes[0].subarray(2, 12))).toBe('last words');
  });

  it('returns one shared settled promise while little is waiting; the frames still wait for the flush', async () => {
    const socket = new FakeSocket();
    const conn = serverConn(socket);
    const first = conn.send('a');
    const second = conn.send(new Uint8Array(100));
    expect(second).toBe(first);
    await first;
    expect(socket.writes.length).toBe(0); // queued, not written: one write per turn
    await turn();
    expect(socket.writes.length).toBe(1);
    conn.terminate();
  });

  it('a send past the high-water mark waits for the flush (a tight awaited loop yields to the event loop)', async () => {
    const socket = new FakeSocket();
    const conn = serverConn(socket);
    let sent = 0;
    const loop = (async () => { for (let i = 0; i < 200; i++) { await conn.send(new Uint8Array(1024)); sent++; } })();
    await Promise.resolve();
    await Promise.resolve();
    // Microtasks alone cannot get past 64 KiB queued: the loop waits for a write.
    for (let i = 0; i < 1000 && sent < 200; i++) await Promise.resolve();
    expect(sent).toBeLessThan(70);
    expect(socket.writes.length).toBe(0);
    await loop;
    expect(socket.writes.length).toBeGreaterThan(1);
    conn.terminate();
  });

  it('while the socket needs a drain, a send waits for it even when little is queued', async () => {
    const socket = new FakeSocket();
    const conn = serverConn(socket);
    socket.writableNeedDrain = true;
    socket.writableLength = 20_000;
    let settled = false;
    const sent = conn.send('x').then(() => { settled = true; });
    await turn();
    await turn();
    expect(settled).toBe(false);
    socket.writableNeedDrain = false;
    socket.writableLength = 0;
    socket.emit('drain');
    await sent;
    expect(settled).toBe(true);
    conn.terminate();
  });

  it('a send after the connection is gone still rejects, never the shared promise', async () => {
    const socket = new FakeSocket();
    const conn = serverConn(socket);
    const before = conn.send('a');
    conn.terminate();
    await before;
    await expect(conn.send('b')).rejects.toThrow();
  });
});

const modes: [string, boolean | CompressionOptions][] = [
  ['compression off', false],
  ['compression on (context takeover)', true],
  ['compression on, no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
];

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 200 });
});

describe.each(modes)('the README idiom over loopback, %s', (_name, compression) => {
  it('echoes pipelined messages, small and large, in order, then closes cleanly', async () => {
    const server = await serve({ port: 0, compression, pingIntervalMs: 0 }, async (conn) => {
      for await (const msg of conn) await conn.send(msg.type === 'text' ? msg.text() : msg.data);
    });
    servers.push(server);
    const offer = compression === false ? '' : 'Sec-WebSocket-Extensions: permessage-deflate\r\n';
    const { peer } = await rawClient(server.address().port, offer, compression !== false) as { peer: RawPeer };
    const sizes = [5, 2000, 70_000, 3, 1500, 200_000, 7];
    const chunks = sizes.map((size, i) => clientFrame(i % 2 ? OP_BINARY : OP_TEXT, 'abcdefgh'.repeat(Math.ceil(size / 8)).slice(0, size)));
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { all.set(c, at); at += c.length; }
    peer.socket.write(all);
    await peer.waitFrames(sizes.length, 5000);
    expect(peer.frames.map((f) => f.opcode)).toEqual(sizes.map((_, i) => (i % 2 ? OP_BINARY : OP_TEXT)));
    if (compression === false) expect(peer.frames.map((f) => f.payload.length)).toEqual(sizes);
    peer.socket.write(clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
    await peer.waitFrames(sizes.length + 1, 2000);
    expect(peer.closeFrame()?.[0]).toBe(1000);
  });
});
