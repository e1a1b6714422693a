// Every application callback the server calls may throw (or reject): the client gets an
// answer, the error is reported, and the server goes on serving (issue 12 #10).
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { HandshakeError } from '../../src/errors';
import { serve, Upgrader, type ServeOptions, type WebSocketServer } from '../../src/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const boom = new Error('boom');

/** Sends an upgrade request and returns the response's status line. */
function statusOf(port: number, extra = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) { resolve(answer.split('\r\n')[0]); socket.destroy(); }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n')[0]));
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
  });
}

/** The server still upgrades an ordinary request (it did not crash, it keeps serving). */
async function stillServes(port: number): Promise<void> {
  const conn = await dial(`ws://127.0.0.1:${port}/`, { compression: false });
  await conn.send('still there?');
  expect((await conn.read()).text()).toBe('still there?');
  await conn.close();
}

const echo = async (conn: Conn) => {
  try { for await (const m of conn) await conn.send(m.text()); } catch { /* closed */ }
};

/**
 * Collects what escapes to the process while `run` runs (Node would die of it under
 * --unhandled-rejections=strict), so that the test itself fails, not only the run.
 */
async function escapedFrom(run: () => Promise<void>): Promise<unknown[]> {
  const escaped: unknown[] = [];
  const collect = (err: unknown) => escaped.push(err);
  process.on('uncaughtException', collect);
  process.on('unhandledRejection', collect);
  try {
    await run();
    await sleep(20); // a rejection surfaces as unhandled by now
  } finally {
    process.off('uncaughtException', collect);
    process.off('unhandledRejection', collect);
  }
  return escaped;
}

let server: WebSocketServer | undefined;
afterEach(async () => { await server?.close({ timeoutMs: 200 }); server = undefined; });

describe('serve(): handshake callbacks that throw', () => {
  /** Throws on its first call only, so that the next request shows the server still serves. */
  const throwsOnce = <T>(value: T) => {
    let calls = 0;
    return (): T => { if (calls++ === 0) throw boom; return value; };
  };
  it.each<[string, () => ServeOptions, string]>([
    ['headers', () => ({ headers: throwsOnce({}) }), ''],
    ['checkOrigin', () => ({ checkOrigin: throwsOnce(true) }), 'Origin: http://elsewhere.example\r\n'],
    ['subprotocols', () => ({ subprotocols: throwsOnce(undefined) }), 'Sec-WebSocket-Protocol: chat\r\n'],
  ])('%s: answers 500, reports it through onHandshakeError, keeps serving', async (_name, policy, extra) => {
    const errors: [HandshakeError, unknown][] = [];
    server = await serve({ port: 0, ...policy(), onHandshakeError: (e, r) => errors.push([e, r]) }, echo);
    const port = server.address().port;
    expect(await statusOf(port, extra)).toBe('HTTP/1.1 500 Internal Server Error');
    expect(errors).toHaveLength(1);
    expect(errors[0][0]).toBeInstanceOf(HandshakeError);
    expect(errors[0][0]).toMatchObject({ code: 'WS_ERR_HANDSHAKE', status: 500, cause: boom });
    expect(errors[0][1]).toMatchObject({ method: 'GET', url: '/' });
    await stillServes(port);
  });

  it('refuses an async checkOrigin (a promise is truthy: it would let every origin in)', async () => {
    const errors: HandshakeError[] = [];
    const checkOrigin = (async () => false) as unknown as (origin: string) => boolean;
    server = await serve({ port: 0, checkOrigin, onHandshakeError: (e) => errors.push(e) }, echo);
    expect(await statusOf(server.address().port, 'Origin: http://evil.example\r\n')).toBe('HTTP/1.1 500 Internal Server Error');
    expect(errors[0].cause).toBeInstanceOf(TypeError);
  });

  it.each([
    ['throws', () => { throw boom; }],
    ['rejects', async () => { throw boom; }],
  ])('keeps serving when onHandshakeError itself %s', async (_how, onHandshakeError) => {
    const calls: number[] = [];
    server = await serve({ port: 0, onHandshakeError: () => { calls.push(1); return onHandshakeError(); } }, echo);
    const port = server.address().port;
    expect(await escapedFrom(async () => {
      expect(await statusOf(port, 'Origin: http://evil.example\r\n')).toBe('HTTP/1.1 403 Forbidden');
    })).toEqual([]);
    expect(calls).toHaveLength(1);
    await stillServes(port);
  });
});

describe('serve(): a handler that fails', () => {
  it.each([
    ['throws', () => { throw boom; }],
    ['rejects', async () => { await sleep(1); throw boom; }],
  ])('closes with 1011 and hands the error to onHandlerError when the handler %s', async (_how, handler) => {
    const reported: [unknown, Conn][] = [];
    server = await serve({ port: 0, onHandlerError: (e, c) => reported.push([e, c]) }, handler);
    expect(await escapedFrom(async () => {
      const conn = await dial(`ws://127.0.0.1:${server!.address().port}/`);
      expect(await conn.closed).toMatchObject({ code: 1011, reason: 'handler failed', wasClean: true });
    })).toEqual([]);
    expect(reported).toHaveLength(1);
    expect(reported[0][0]).toBe(boom);
    expect(reported[0][1].role).toBe('server');
  });

  it.each([
    ['throws', () => { throw new Error('reporter broke'); }],
    ['rejects', async () => { throw new Error('reporter broke'); }],
  ])('keeps serving when onHandlerError itself %s', async (_how, onHandlerError) => {
    let first = true;
    server = await serve({ port: 0, onHandlerError }, async (conn) => {
      if (first) { first = false; throw boom; }
      await echo(conn);
    });
    const port = server.address().port;
    expect(await escapedFrom(async () => {
      const conn = await dial(`ws://127.0.0.1:${port}/`);
      expect(await conn.closed).toMatchObject({ code: 1011 });
    })).toEqual([]);
    await stillServes(port);
  });
});

describe('Upgrader on node:http: policy callbacks that throw', () => {
  let http: Server | undefined;
  afterEach(async () => {
    http?.closeAllConnections();
    await new Promise((r) => (http ? http.close(r) : r(undefined)));
    http = undefined;
  });

  it.each<[string, ServeOptions, string]>([
    ['headers', { headers: () => { throw boom; } }, ''],
    ['checkOrigin', { checkOrigin: () => { throw boom; } }, 'Origin: http://elsewhere.example\r\n'],
    ['subprotocols', { subprotocols: () => { throw boom; } }, 'Sec-WebSocket-Protocol: chat\r\n'],
  ])('%s: upgrade() answers 500, returns null and reports', async (_name, policy, extra) => {
    const errors: HandshakeError[] = [];
    const results: (Conn | null)[] = [];
    const upgrader = new Upgrader({ ...policy, onHandshakeError: (e) => errors.push(e) });
    http = createServer((_req, res) => res.end());
    http.on('upgrade', (req, socket, head) => results.push(upgrader.upgrade(req, socket, head)));
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;
    expect(await statusOf(port, extra)).toBe('HTTP/1.1 500 Internal Server Error');
    expect(results).toEqual([null]);
    expect(errors[0]).toMatchObject({ status: 500, cause: boom });
  });
});
