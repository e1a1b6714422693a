import { describe, expect, it } from 'vitest';
import { OP_PING, OP_PONG } from '../../src/codec/constants';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { isUnexpectedClose } from '../../src/errors';
import { serve } from '../../src/server';
import { serverFrame } from '../helpers/frames';
import { rawClient, rawServer } from '../helpers/raw-peer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Conn API', () => {
  it('throws at once on misuse: bad close codes and reasons, oversized pings, sends after close', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0 }, (c) => { serverConn = c; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    expect(conn.remoteAddress).toBe('127.0.0.1');
    while (!serverConn) await sleep(5);
    expect(serverConn.remoteAddress).toBe('127.0.0.1');
    expect(serverConn.request?.headers['sec-websocket-version']).toBe('13');
    expect(() => conn.close(1005)).toThrow(/may not be sent/);
    expect(() => conn.close(1000, 'é'.repeat(62))).toThrow(/124 bytes/);
    expect(() => conn.ping(new Uint8Array(126))).toThrow(/at most 125/);
    const closing = conn.close(3001, 'app');
    // A promise-returning API fails through its promise, never by throwing (issue 12, finding 9's rule).
    await expect(conn.send('x')).rejects.toThrow(/closing or closed/);
    await expect(conn.ping('x')).rejects.toMatchObject({ code: 'WS_ERR_ALREADY_CLOSED' });
    expect(await closing).toMatchObject({ code: 3001, wasClean: true });
    expect(await serverConn.closed).toMatchObject({ code: 3001, reason: 'app', wasClean: true });
    await server.close({ timeoutMs: 200 });
  });

  it('keeps the upgrade request readable for the life of the connection', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0 }, (c) => { serverConn = c; });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/room?id=7`, { headers: { 'X-Trace': 'a', 'x-trace': 'b' } });
    while (!serverConn) await sleep(5);
    const { request } = serverConn;
    expect(request?.url).toBe('/room?id=7');
    expect(request?.headers['x-trace']).toEqual(['a', 'b']);
    expect(request?.headers.upgrade).toBe('websocket');
    expect(JSON.parse(JSON.stringify(request))).toMatchObject({ method: 'GET', url: '/room?id=7', headers: { 'x-trace': ['a', 'b'] } });
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });

  it.each([
    ['throws', () => { throw new Error('boom'); }],
    ['rejects', async () => { await sleep(1); throw new Error('boom'); }],
  ])('closes with 1011 when the handler %s', async (_how, handler) => {
    const server = await serve({ port: 0 }, handler);
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    expect(await conn.closed).toMatchObject({ code: 1011, reason: 'handler failed', wasClean: true });
    await server.close({ timeoutMs: 200 });
  });

  it('isUnexpectedClose reads close errors as gorilla does', async () => {
    const server = await serve({ port: 0 }, (c) => { void c.close(4000, 'x'); });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    const err = await conn.read().catch((e) => e);
    expect(isUnexpectedClose(err)).toBe(true);
    expect(isUnexpectedClose(err, 4000)).toBe(false);
    expect(isUnexpectedClose(new Error('x'))).toBe(false);
    await server.close({ timeoutMs: 200 });
  });

  it('keeps a connection alive with pings and drops a peer that stops answering', async () => {
    let resolveConn!: (c: Conn) => void;
    const got = new Promise<Conn>((r) => { resolveConn = r; });
    const server = await serve({ port: 0, pingIntervalMs: 40, pongTimeoutMs: 60 }, (c) => resolveConn(c));
    const { peer } = await rawClient(server.address().port);
    const serverConn = await got;
    await peer.waitFrames(1);
    expect(peer.frames[0].opcode).toBe(OP_PING);
    // Never answer: the server gives up within about pingInterval + pongTimeout.
    const info = await serverConn.closed;
    expect(info).toMatchObject({ code: 1006, wasClean: false });
    expect(info.reason).toMatch(/pong/);
    await server.close({ timeoutMs: 100 });
  });

  it('closes an idle connection with 1001', async () => {
    const server = await serve({ port: 0, pingIntervalMs: 0, idleTimeoutMs: 80 }, () => {});
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    expect(await conn.closed).toMatchObject({ code: 1001, reason: 'idle timeout', wasClean: true });
    await server.close({ timeoutMs: 100 });
  });

  it('calls onPing and onPong', async () => {
    const seen: string[] = [];
    const { server, port } = await rawServer(async (peer) => {
      await peer.waitFrames(1); // the client's "ready"
      await peer.send(serverFrame(OP_PING, 'p1'));
      await peer.waitFrames(2);
      await peer.send(serverFrame(OP_PONG, 'unasked'));
    });
    const conn = await dial(`ws://127.0.0.1:${port}/`);
    conn.onPing = (d) => seen.push(`ping:${new TextDecoder().decode(d)}`);
    conn.onPong = (d) => seen.push(`pong:${new TextDecoder().decode(d)}`);
    await conn.send('ready');
    for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(10);
    expect(seen).toEqual(['ping:p1', 'pong:unasked']);
    conn.terminate();
    server.close();
  });

  it('serve().close() sends 1001 to every connection and waits for the handshakes', async () => {
    const server = await serve({ port: 0 }, () => {});
    const conns = await Promise.all([1, 2, 3].map(() => dial(`ws://127.0.0.1:${server.address().port}/`)));
    while (server.connections.size < 3) await sleep(5);
    await server.close();
    for (const c of conns) expect(await c.closed).toMatchObject({ code: 1001, wasClean: true });
    expect(server.connections.size).toBe(0);
  });

  it('queues sends behind a streaming writer and keeps their order', async () => {
    const server = await serve({ port: 0 }, async (c) => {
      try { for await (const m of c) await c.send(m.text()); } catch { /* closed */ }
    });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    const writer = await conn.nextWriter('text');
    const queued = conn.send('second');
    await writer.write('fir');
    await writer.write('st');
    await writer.close();
    await queued;
    expect((await conn.read()).text()).toBe('first');
    expect((await conn.read()).text()).toBe('second');
    await conn.close();
    await server.close({ timeoutMs: 200 });
  });
});
