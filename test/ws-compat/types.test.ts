// wasmws/ws's classes pass for @types/ws's, so TypeScript code written against ws (graphql-ws's
// useServer takes a ws WebSocketServer) compiles unchanged. `npm run typecheck` checks this file.
import type { WebSocket as WsSocket, WebSocketServer as WsServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/ws/index';

describe('wasmws/ws types', () => {
  it('are assignable to @types/ws\'s WebSocketServer and WebSocket', () => {
    const wss = new WebSocketServer({ noServer: true });
    const server: WsServer = wss;
    const socket: WsSocket = new WebSocket(null);
    const clients: Set<WsSocket> = wss.clients;
    expect([server, socket, clients].every(Boolean)).toBe(true);
  });
});
