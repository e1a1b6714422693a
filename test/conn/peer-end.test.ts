// A peer that ends TCP without a close frame, on a node:http server (allowHalfOpen: true):
// the connection must still close, or the socket stays half-open for ever.
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conn } from '../../src/conn/connection';
import { Upgrader } from '../../src/server';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => {
  server?.closeAllConnections();
  server ? server.close(() => resolve()) : resolve();
}));

describe('peer ends TCP (no close frame)', () => {
  it('closes a Conn upgraded from node:http with 1006', async () => {
    const upgrader = new Upgrader({ compression: false });
    const accepted = new Promise<Conn>((resolve) => {
      server = createServer();
      server.on('upgrade', (req, socket, head) => {
        const conn = upgrader.upgrade(req, socket, head);
        if (conn) resolve(conn);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server!.address() as AddressInfo).port;
    const client = connect(port, '127.0.0.1');
    client.on('data', () => {});
    client.write(['GET / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'));
    const conn = await accepted;
    const clientClosed = new Promise((resolve) => client.on('close', resolve));
    client.end(); // FIN, nothing else
    const info = await Promise.race([conn.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 2000))]);
    expect(info).toEqual({ code: 1006, reason: '', wasClean: false });
    await clientClosed;
  });
});
