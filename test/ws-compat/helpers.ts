// Shared by the ws-compat tests: the same scenario runs on wasmws/ws and on the real ws
// package, so an assertion that holds for both is ws's behaviour, not a guess at it.
import type { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import RealWebSocket, { WebSocketServer as RealWebSocketServer } from 'ws';
import { WebSocket as OurWebSocket, WebSocketServer as OurWebSocketServer } from '../../src/ws/index';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyServer = any;
export type AnySocket = any;

/** One implementation of ws's API. */
export interface Impl {
  name: string;
  WebSocket: any;
  WebSocketServer: any;
}

export const ours: Impl = { name: 'wasmws/ws', WebSocket: OurWebSocket, WebSocketServer: OurWebSocketServer };
export const real: Impl = { name: 'ws', WebSocket: RealWebSocket, WebSocketServer: RealWebSocketServer };

/** Every server/client combination: each must behave as ws does with ws. */
export const pairs: [string, Impl, Impl][] = [
  ['wasmws/ws server, wasmws/ws client', ours, ours],
  ['wasmws/ws server, ws client', ours, real],
  ['ws server, wasmws/ws client', real, ours],
  ['ws server, ws client', real, real],
];

/** The arguments of the next `event`. */
export function once(emitter: EventEmitter, event: string): Promise<any[]> {
  return new Promise((resolve) => emitter.once(event, (...args: any[]) => resolve(args)));
}

/** A server listening on a free loopback port. */
export async function listen(impl: Impl, options: Record<string, unknown> = {}): Promise<{ wss: AnyServer; url: string }> {
  const wss = new impl.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` };
}

/** Closes a server and every connection it still has. */
export async function shutdown(wss: AnyServer): Promise<void> {
  for (const client of wss.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** A connected pair: the server's socket and the client's, both open. */
export async function connectPair(server: Impl, client: Impl, serverOptions: Record<string, unknown> = {}, clientOptions: Record<string, unknown> = {}, path = '/') {
  const { wss, url } = await listen(server, serverOptions);
  const accepted = once(wss, 'connection');
  const ws = new client.WebSocket(url + path, clientOptions);
  await once(ws, 'open');
  const [peer, req] = await accepted;
  return { wss, url, client: ws as AnySocket, server: peer as AnySocket, req };
}

/** Resolves after `ms` (for "nothing happens" checks, kept short). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Servers a test started: `afterEach(closeTracked)` shuts them down (ws-style servers first). */
export const tracked = { wss: [] as AnyServer[], http: [] as (HttpServer | NetServer)[] };

/** Shuts down and forgets every tracked server. */
export async function closeTracked(): Promise<void> {
  const { wss, http } = tracked;
  tracked.wss = [];
  tracked.http = [];
  await Promise.all(wss.map(shutdown));
  await Promise.all(http.map((s) => new Promise((resolve) => { (s as HttpServer).closeAllConnections?.(); s.close(resolve); })));
}

/** A tracked HTTP server on a free loopback port, as the ws:// URL of it. */
export async function httpServer(handler: (req: IncomingMessage, res: any) => void): Promise<string> {
  const server = createHttpServer(handler);
  tracked.http.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
