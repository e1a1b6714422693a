// The chat demo's server: the page at `/`, the hub at `/ws` (same-origin only, 512-byte
// messages, pings every 54 s with a 60 s deadline: the seed's constants). Compression is
// on without server context takeover, so a broadcast is compressed once and the same
// bytes go to every client (PreparedMessage), and idle clients hold no zlib state.
//
// Run it: `npm start` (http://localhost:8080), or `npx wasmws chat --port 8080`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hub } from '../../src/hub/hub';
import { RedisBroker } from '../../src/hub/redis-broker';
import { Upgrader } from '../../src/server';
import { joinRoom } from './client';
import page from './index.html?raw';

/** Where to listen. */
export interface ChatOptions {
  port?: number;
  host?: string;
  /** redis://host:port: run as one node of a multi-node chat (see docs/scaling-out.md). */
  redis?: string;
}

/** A running chat server. */
export interface ChatServer {
  /** http://host:port/ */
  readonly url: string;
  readonly hub: Hub;
  /** Stops accepting, closes every client with 1001. */
  close(): Promise<void>;
}

/** The seed's constants: maxMessageSize, pongWait, pingPeriod = pongWait × 9/10. */
const MAX_MESSAGE_BYTES = 512;
const PONG_WAIT_MS = 60_000;
const PING_PERIOD_MS = (PONG_WAIT_MS * 9) / 10;

/** Starts the chat: resolves once listening. */
export async function startChat(options: ChatOptions = {}): Promise<ChatServer> {
  // The seed's hub: one room, 256 queued messages per client, queued lines batched into
  // one frame. With --redis, every node's hub relays through Redis pub/sub.
  const broker = options.redis ? await RedisBroker.connect({ url: options.redis }) : undefined;
  const hub = new Hub({
    broker,
    batchText: true,
    onBrokerEvent: (event) => { if (event.type !== 'gap') console.error(`chat: broker ${event.type}`); },
  });
  const upgrader = new Upgrader({
    maxMessageBytes: MAX_MESSAGE_BYTES,
    pingIntervalMs: PING_PERIOD_MS,
    pongTimeoutMs: PONG_WAIT_MS,
    compression: { serverNoContextTakeover: true, threshold: 128 },
    // checkOrigin left at its default: same origin only.
  });
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const conn = upgrader.upgrade(req, socket, head);
    if (conn) void joinRoom(hub, conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '127.0.0.1' && options.host !== '::1' ? options.host : 'localhost';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    hub,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close(1001, 'chat is shutting down');
      server.closeAllConnections();
      await stopped;
    },
  };
}
