import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { CloseError, WebSocketError } from '../../src/errors';
import { serve } from '../../src/server';
import { serverFrame } from '../helpers/frames';
import { rawServer, type RawPeer } from '../helpers/raw-peer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection's internals, for tests that must see its read buffer. */
const internals = (conn: Conn) => (conn as unknown as { core: { socket: Socket; inbox: { bufferedBytes: number } } }).core;

/** Rejects if `promise` has not settled within `ms` (a stall shows as a failure, not a hang). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error(`${what}: still pending after ${ms} ms`); })]);
}

async function pair(compression: boolean): Promise<{ serverConn: Conn; conn: Conn; close: () => Promise<void> }> {
  let serverConn: Conn | undefined;
  const server = await serve({ port: 0, compression: compression ? {} : false }, (c) => { serverConn = c; });
  const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
  while (!serverConn) await sleep(5);
  return { serverConn, conn, close: async () => { conn.terminate(); await server.close({ timeoutMs: 200 }); } };
}

const noise = (bytes: number) => {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(bytes, at + 65536)));
  return out;
};

describe.each([false, true])('a MessageReader abandoned mid-message never stalls the connection (compression %s)', (compression) => {
  it('20 MiB message, one chunk read, then conn.read(): the rest is discarded and the next message arrives', async () => {
    const { serverConn, conn, close } = await pair(compression);
    const readerReady = conn.nextReader();
    void serverConn.send(noise(20 << 20));
    void serverConn.send('next');
    const reader = await readerReady;
    expect((await reader.read())!.length).toBeGreaterThan(0);
    const next = await within(conn.read(), 10_000, 'conn.read() after an abandoned reader');
    expect(next.text()).toBe('next');
    expect(reader.isDiscarded).toBe(true);
    expect(await reader.read()).toBeNull(); // gorilla's rule: a stale reader is at its end
    expect(internals(conn).inbox.bufferedBytes).toBe(0);
    await close();
  }, 20_000);

  it('breaking out of `for await (chunk of reader)` on twelve 2 MiB messages in a row', async () => {
    const { serverConn, conn, close } = await pair(compression);
    const sending = (async () => {
      for (let i = 0; i < 12; i++) await serverConn.send(noise(2 << 20));
      await serverConn.send('after twelve');
    })();
    for (let i = 0; i < 12; i++) {
      const reader = await within(conn.nextReader(), 10_000, `nextReader() #${i + 1}`);
      for await (const chunk of reader) { expect(chunk.length).toBeGreaterThan(0); break; }
      expect(reader.isDiscarded).toBe(true);
    }
    expect((await within(conn.read(), 10_000, 'read() after the twelve')).text()).toBe('after twelve');
    await sending;
    await close();
  }, 30_000);

  it('leaving the loop alone frees the read buffer: the socket resumes without another read', async () => {
    const { serverConn, conn, close } = await pair(compression);
    const readerReady = conn.nextReader();
    void serverConn.send(noise(20 << 20));
    const reader = await readerReady;
    for await (const _ of reader) break;
    for (let waited = 0; internals(conn).inbox.bufferedBytes > 0 || internals(conn).socket.isPaused(); waited += 20) {
      if (waited > 10_000) throw new Error(`still holding ${internals(conn).inbox.bufferedBytes} bytes`);
      await sleep(20);
    }
    void serverConn.send('then this');
    expect((await conn.read()).text()).toBe('then this');
    await close();
  }, 20_000);

  it('a reader read to its end is not affected by the next read', async () => {
    const { serverConn, conn, close } = await pair(compression);
    void serverConn.send('one '.repeat(1000));
    void serverConn.send('two');
    const reader = await conn.nextReader();
    expect(await reader.text()).toBe('one '.repeat(1000));
    expect((await conn.read()).text()).toBe('two');
    await close();
  });
});

describe('a streaming reader fails with typed errors', () => {
  /** A dial()ed client whose reader is streaming a text message the raw server has begun. */
  async function streamingReader(): Promise<{ conn: Conn; peer: RawPeer; reader: Awaited<ReturnType<Conn['nextReader']>>; done: () => void }> {
    let peer!: RawPeer;
    const { server, port } = await rawServer((p) => { peer = p; });
    const conn = await dial(`ws://127.0.0.1:${port}/`, { compression: false });
    while (!peer) await sleep(5);
    const readerReady = conn.nextReader();
    await peer.send(serverFrame(OP_TEXT, 'first part ', { fin: false }));
    const reader = await readerReady;
    expect(new TextDecoder().decode((await reader.read())!)).toBe('first part ');
    return { conn, peer, reader, done: () => { conn.terminate(); server.close(); } };
  }

  it.each([
    ['a reserved opcode', () => serverFrame(3, 'x'), 'WS_ERR_BAD_OPCODE', 1002],
    ['a new text frame before the last fragment', () => serverFrame(OP_TEXT, 'z'), 'WS_ERR_EXPECTED_CONTINUATION', 1002],
    ['invalid UTF-8 in the next fragment', () => serverFrame(0, new Uint8Array([0xc3, 0x28]), { fin: false }), 'WS_ERR_INVALID_UTF8', 1007],
    ['a continuation with RSV2', () => serverFrame(0, 'y', { rsv2: true }), 'WS_ERR_BAD_RSV23', 1002],
  ])('the peer breaking the protocol mid-message (%s): a WebSocketError with code and closeCode', async (_name, bad, code, closeCode) => {
    const { reader, peer, conn, done } = await streamingReader();
    const pending = reader.read();
    await peer.send(bad());
    const error = await pending.then(() => undefined, (e: unknown) => e) as WebSocketError & { closeCode: number };
    expect(error).toBeInstanceOf(WebSocketError);
    expect(typeof error.code).toBe('string');
    expect(error.code).toMatch(/^WS_ERR_/);
    expect(error.code).toBe(code);
    expect(error.closeCode).toBe(closeCode);
    await expect(conn.read()).rejects.toBeInstanceOf(CloseError);
    done();
  });

  it('a Close frame mid-message: the reader rejects with a CloseError', async () => {
    const { reader, peer, done } = await streamingReader();
    const pending = reader.read();
    await peer.send(serverFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
    const error = await pending.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CloseError);
    expect((error as CloseError).closeCode).toBe(1000);
    done();
  });

  it('TCP lost mid-message: the reader rejects with a CloseError 1006', async () => {
    const { reader, peer, done } = await streamingReader();
    const pending = reader.read();
    peer.socket.destroy();
    const error = await pending.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CloseError);
    expect((error as CloseError).closeCode).toBe(1006);
    done();
  });

  it('a second read() while one is pending rejects with a WebSocketError (misuse)', async () => {
    const { reader, done } = await streamingReader();
    const first = reader.read();
    const error = await reader.read().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_ARGUMENT');
    done();
    await first.catch(() => {});
  });
});
