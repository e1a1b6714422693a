import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloseInfo, Conn } from '../../src/conn/connection';
import { serve, Upgrader } from '../../src/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REQUEST = (port: number, extra = '') => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
const DEFLATE = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';

/** `closed`, or 'pending' if it has not settled within `ms` (a hang must fail, not time out the suite). */
function settledWithin(conn: Conn, ms: number): Promise<CloseInfo | 'pending'> {
  return Promise.race([conn.closed, sleep(ms).then(() => 'pending' as const)]);
}

let http: Server | undefined;
const upgraded: Duplex[] = [];
afterEach(async () => {
  for (const socket of upgraded.splice(0)) socket.destroy();
  await new Promise((r) => (http ? http.close(r) : r(undefined)));
  http = undefined;
});

/** A node:http server whose 'upgrade' event runs `onUpgrade`; resolves with its port. */
async function httpServer(onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): Promise<number> {
  http = createServer((_req, res) => res.end());
  http.on('upgrade', (req, socket, head) => { upgraded.push(socket); onUpgrade(req, socket, head); });
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  return (http.address() as AddressInfo).port;
}

async function client(port: number, extra = ''): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(REQUEST(port, extra));
  return socket;
}

describe.each([['off', ''], ['on', DEFLATE]])('Upgrader on node:http, permessage-deflate %s', (_name, extra) => {
  it('closes the connection (1006) and ends its half when the peer sends FIN without a close frame', async () => {
    const upgrader = new Upgrader({ pingIntervalMs: 0 });
    let conn: Conn | null = null;
    const port = await httpServer((req, socket, head) => { conn = upgrader.upgrade(req, socket, head); });
    const socket = await client(port, extra);
    let response = '';
    socket.on('data', (d: Buffer) => { response += d.toString('latin1'); });
    for (let i = 0; i < 200 && !response.includes('\r\n\r\n'); i++) await sleep(5);
    expect(conn).not.toBeNull();
    expect(response).toMatch(/^HTTP\/1\.1 101/);
    const ended = new Promise<void>((r) => socket.once('end', r));
    socket.end(); // FIN, no close frame
    expect(await settledWithin(conn!, 2000)).toEqual({ code: 1006, reason: '', wasClean: false });
    await ended; // the server ended its half too
    expect(conn!.readyState).toBe('closed');
  });

  it.each(['end', 'destroy'] as const)('settles `closed` when the client hung up (%s) before a late upgrade()', async (how) => {
    const upgrader = new Upgrader({ pingIntervalMs: 0 });
    let conn: Conn | null = null;
    const port = await httpServer(async (req, socket, head) => {
      await sleep(150); // an auth check, say
      conn = upgrader.upgrade(req, socket, head);
    });
    const socket = await client(port, extra);
    await sleep(30);
    if (how === 'end') socket.end();
    else socket.destroy();
    for (let i = 0; i < 100 && conn === null; i++) await sleep(10);
    expect(conn).not.toBeNull();
    const info = await settledWithin(conn!, 2000);
    expect(info).toMatchObject({ code: 1006, wasClean: false });
    expect(conn!.readyState).toBe('closed');
  });

  it('settles `closed` when upgrade() is handed a socket that is already destroyed', async () => {
    const upgrader = new Upgrader({ pingIntervalMs: 0 });
    let conn: Conn | null = null;
    const port = await httpServer(async (req, socket, head) => {
      socket.destroy(); // say, an auth timeout fired first
      await new Promise((r) => socket.once('close', r)); // its 'close' is over before the Conn exists
      conn = upgrader.upgrade(req, socket, head);
    });
    await client(port, extra);
    for (let i = 0; i < 100 && conn === null; i++) await sleep(10);
    expect(await settledWithin(conn!, 2000)).toMatchObject({ code: 1006, wasClean: false });
  });
});

describe('serve()', () => {
  it('closes the connection (1006) when the peer sends FIN without a close frame', async () => {
    let conn: Conn | null = null;
    const server = await serve({ port: 0, pingIntervalMs: 0 }, (c) => { conn = c; });
    const socket = await client(server.address().port);
    for (let i = 0; i < 200 && conn === null; i++) await sleep(5);
    const ended = new Promise<void>((r) => socket.once('end', r));
    socket.resume();
    socket.end();
    expect(await settledWithin(conn!, 2000)).toEqual({ code: 1006, reason: '', wasClean: false });
    await ended;
    await server.close({ timeoutMs: 100 });
  });
});
