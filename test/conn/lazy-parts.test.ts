import { describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../../src/codec/constants';
import { js } from '../../src/codec/js/index';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { sharedWriter } from '../../src/conn/shared-parts';
import { AlreadyClosedError, CloseError } from '../../src/errors';
import { serve } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';

// A connection's core makes its frame reader on the first frame, its outbox, sender and
// control frames on the first send, ping or close, and shares its frame writer: the edges
// where a part is needed before anything made it.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serverWith(compression: boolean, handler: (conn: Conn) => void | Promise<void>) {
  return serve({ port: 0, compression: compression ? {} : false, onHandlerError: () => {} }, handler);
}

async function connOf(get: () => Conn | undefined): Promise<Conn> {
  while (!get()) await sleep(2);
  return get()!;
}

describe.each([false, true])('parts made on first use (compression %s)', (compression) => {
  it('the first frame after a long idle, split across writes, is read', async () => {
    const messages: string[] = [];
    const server = await serverWith(compression, async (conn) => { for await (const m of conn) messages.push(m.text()); });
    const { peer } = await rawClient(server.address().port);
    await sleep(300); // idle: nothing read yet, so no reader made
    const frame = clientFrame(OP_TEXT, 'after the idle');
    peer.socket.write(frame.subarray(0, 1)); // a partial header starts the reader
    await sleep(20);
    peer.socket.write(frame.subarray(1));
    peer.socket.write(clientFrame(OP_TEXT, 'and the next'));
    while (messages.length < 2) await sleep(5);
    expect(messages).toEqual(['after the idle', 'and the next']);
    peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });

  it('a close before any frame or send: the close handshake runs and is clean', async () => {
    let serverConn: Conn | undefined;
    const server = await serverWith(compression, (conn) => { serverConn = conn; void conn.close(4001, 'at once'); });
    const { peer } = await rawClient(server.address().port);
    await peer.waitFrames(1);
    expect(peer.closeFrame()).toEqual([4001, 'at once']);
    peer.socket.write(clientFrame(OP_CLOSE, new Uint8Array([0x0f, 0xa1])));
    // closed reports the close received: the peer's echo, code only.
    expect(await (await connOf(() => serverConn)).closed).toEqual({ code: 4001, reason: '', wasClean: true });
    await peer.waitClosed();
    await server.close({ timeoutMs: 200 });
  });

  it('a send and a ping before any read or received frame go out, in order; the pong settles the ping', async () => {
    let rtt: Promise<number> | undefined;
    const server = await serverWith(compression, (conn) => {
      void conn.send('first');
      rtt = conn.ping('p');
      void conn.send(new Uint8Array([1, 2]));
    });
    const { peer } = await rawClient(server.address().port, '', compression);
    const frames = await peer.waitFrames(3);
    expect(frames.map((f) => f.opcode).sort()).toEqual([OP_BINARY, OP_PING, OP_TEXT].sort());
    expect(frames.filter((f) => f.opcode !== OP_PING).map((f) => f.opcode)).toEqual([OP_TEXT, OP_BINARY]);
    peer.socket.write(clientFrame(OP_PONG, 'p'));
    expect(await rtt).toBeGreaterThanOrEqual(0);
    peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });

  it('onPing set before any frame hears the first ping, answered by the automatic pong', async () => {
    const pings: string[] = [];
    const server = await serverWith(compression, (conn) => { conn.onPing = (p) => pings.push(new TextDecoder().decode(p)); });
    const { peer } = await rawClient(server.address().port);
    peer.socket.write(clientFrame(OP_PING, 'hi'));
    const [pong] = await peer.waitFrames(1);
    expect(pong.opcode).toBe(OP_PONG);
    expect(new TextDecoder().decode(pong.payload)).toBe('hi');
    expect(pings).toEqual(['hi']);
    peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });

  it('a peer gone before any frame: the waiting read rejects with a typed CloseError (1006); a send after it is refused, its callback told', async () => {
    let serverConn: Conn | undefined;
    let readError: unknown;
    const server = await serverWith(compression, async (conn) => { serverConn = conn; readError = await conn.read().catch((e) => e); });
    const { peer } = await rawClient(server.address().port);
    const conn = await connOf(() => serverConn);
    expect(conn.bufferedAmount).toBe(0);
    peer.socket.destroy();
    expect(await conn.closed).toMatchObject({ code: 1006, wasClean: false });
    await sleep(5);
    expect(readError).toBeInstanceOf(CloseError);
    expect(readError).toMatchObject({ code: 'WS_ERR_CLOSED', closeCode: 1006, wasClean: false });
    let told: Error | null | undefined;
    await expect(conn.send('late', undefined, (error) => { told = error; })).rejects.toBeInstanceOf(AlreadyClosedError);
    await expect(conn.ping()).rejects.toBeInstanceOf(AlreadyClosedError);
    await sleep(5);
    expect(told).toBeInstanceOf(AlreadyClosedError);
    expect(conn.bufferedAmount).toBe(0);
    await server.close({ timeoutMs: 200 });
  });
});

describe('the CloseError of a connection closed by a socket event', () => {
  it('has no stack frames (only the runtime would be in them); one from terminate() keeps its stack', async () => {
    const conns: Conn[] = [];
    const server = await serve({ port: 0 }, (conn) => { conns.push(conn); });
    const port = server.address().port;
    const a = await rawClient(port);
    const b = await rawClient(port);
    while (conns.length < 2) await sleep(2);
    const reads = conns.map((conn) => conn.read().catch((e: unknown) => e));
    a.peer.socket.destroy(); // 'close' on the server's socket
    conns[1].terminate(); // the application's call
    const [byEvent, byCall] = (await Promise.all(reads)) as CloseError[];
    expect(byEvent).toBeInstanceOf(CloseError);
    expect(byEvent).toMatchObject({ closeCode: 1006, wasClean: false });
    expect(byEvent.stack).not.toMatch(/\n\s+at /);
    expect(byCall).toBeInstanceOf(CloseError);
    expect(byCall.cause).toBeInstanceOf(Error);
    expect(byCall.stack).toMatch(/\n\s+at /);
    b.peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });
});

describe('sharedWriter', () => {
  it('is one writer per codec, role and maxFrameBytes; a client one masks every frame with its own key', () => {
    expect(sharedWriter(js, 'server', Infinity)).toBe(sharedWriter(js, 'server', Infinity));
    expect(sharedWriter(js, 'client', Infinity)).not.toBe(sharedWriter(js, 'server', Infinity));
    expect(sharedWriter(js, 'server', 1024)).not.toBe(sharedWriter(js, 'server', Infinity));
    const client = sharedWriter(js, 'client', Infinity);
    const out: Uint8Array[] = [];
    client.message(OP_BINARY, new Uint8Array(8), out);
    client.message(OP_BINARY, new Uint8Array(8), out);
    expect(out.every((f) => (f[1] & 0x80) !== 0)).toBe(true);
    expect(out[0].subarray(2, 6)).not.toEqual(out[1].subarray(2, 6));
  });

  it('serves connections alike without mixing their frames', async () => {
    const server = await serve({ port: 0 }, async (conn) => { for await (const m of conn) await conn.send(m.text() + '!'); });
    const url = `ws://127.0.0.1:${server.address().port}/`;
    const clients = await Promise.all([dial(url), dial(url), dial(url)]);
    const replies = await Promise.all(clients.map(async (c, i) => {
      await c.send(`m${i}`);
      return (await c.read()).text();
    }));
    expect(replies).toEqual(['m0!', 'm1!', 'm2!']);
    await Promise.all(clients.map((c) => c.close()));
    await server.close({ timeoutMs: 200 });
  });
});
