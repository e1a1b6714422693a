// socket.io on wasmws/ws: `new Server(httpServer, { wsEngine: WebSocketServer })`, with
// socket.io-client over the websocket transport and over polling upgraded to websocket.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/ws/index';

let io: Server | undefined;
let http: HttpServer | undefined;
let clients: ClientSocket[] = [];

afterEach(async () => {
  for (const c of clients) c.disconnect();
  clients = [];
  await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : resolve()));
  io = undefined;
  http = undefined;
});

async function start(perMessageDeflate: boolean): Promise<string> {
  http = createServer();
  io = new Server(http, { wsEngine: WebSocketServer, perMessageDeflate, maxHttpBufferSize: 2e6 });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

function client(url: string, transports: string[], nsp = '/'): Promise<ClientSocket> {
  const socket = connect(url + nsp, { transports, reconnection: false, forceNew: true });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Resolves once the client runs on the websocket transport (after an upgrade, if any). */
function onWebSocket(socket: ClientSocket): Promise<void> {
  const engine = socket.io.engine;
  if (engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve) => engine.once('upgrade', () => resolve()));
}

describe.each([['websocket only', ['websocket']], ['polling, upgraded to websocket', ['polling', 'websocket']]])('socket.io over wasmws/ws: %s', (_label, transports) => {
  describe.each([false, true])('perMessageDeflate %s', (deflate) => {
    it('connects, emits with an ack, carries 1 MiB of binary both ways', async () => {
      const url = await start(deflate);
      const engineSockets: unknown[] = [];
      io!.on('connection', (socket) => {
        socket.on('echo', (payload, ack) => ack(payload));
        socket.conn.on('upgrade', (transport: { socket: unknown }) => engineSockets.push(transport.socket));
        engineSockets.push((socket.conn.transport as unknown as { socket: unknown }).socket);
      });
      const socket = await client(url, transports);
      await onWebSocket(socket);
      expect(socket.io.engine.transport.name).toBe('websocket');
      const answer = await socket.timeout(2000).emitWithAck('echo', { hello: 'world' });
      expect(answer).toEqual({ hello: 'world' });
      // The engine's WebSocket is wasmws/ws's, not ws's.
      expect((io!.engine as unknown as { ws: unknown }).ws).toBeInstanceOf(WebSocketServer);
      expect(engineSockets.some((s) => s instanceof WebSocket)).toBe(true);
      const big = Buffer.alloc(1024 * 1024, 7);
      big[12345] = 1;
      const back = await socket.timeout(5000).emitWithAck('echo', big);
      expect(Buffer.from(back).equals(big)).toBe(true);
    });

    it('broadcasts to a room of 50 clients; namespaces are separate', async () => {
      const url = await start(deflate);
      io!.on('connection', (socket) => socket.join('room'));
      io!.of('/admin').on('connection', (socket) => socket.emit('hello-admin'));
      const sockets = await Promise.all(Array.from({ length: 50 }, () => client(url, transports)));
      await Promise.all(sockets.map(onWebSocket));
      const got = Promise.all(sockets.map((s) => new Promise((resolve) => s.once('news', resolve))));
      io!.to('room').emit('news', 'to all');
      expect(await got).toEqual(Array(50).fill('to all'));
      const admin = connect(`${url}/admin`, { transports, reconnection: false, forceNew: true });
      clients.push(admin);
      await new Promise((resolve) => admin.once('hello-admin', resolve));
    });

    it('reports disconnect reasons; io.close() disconnects everyone', async () => {
      const url = await start(deflate);
      const serverReasons: string[] = [];
      io!.on('connection', (socket) => socket.on('disconnect', (reason) => serverReasons.push(reason)));
      const leaving = await client(url, transports);
      await onWebSocket(leaving);
      leaving.disconnect();
      for (let i = 0; i < 200 && serverReasons.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
      expect(serverReasons).toEqual(['client namespace disconnect']);
      const kicked = await client(url, transports);
      await onWebSocket(kicked);
      const kickedReason = new Promise((resolve) => kicked.once('disconnect', resolve));
      for (const s of (await io!.fetchSockets())) s.disconnect(true);
      expect(await kickedReason).toBe('io server disconnect');
      const staying = await client(url, transports);
      await onWebSocket(staying);
      const closedReason = new Promise((resolve) => staying.once('disconnect', resolve));
      await new Promise<void>((resolve) => io!.close(() => resolve()));
      io = undefined;
      expect(await closedReason).toMatch(/transport close|io server disconnect/);
    });
  });
});
