import { createServer, type AddressInfo, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { dial } from '../../src/client';
import { CloseError, TimeoutError } from '../../src/errors';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { readHead } from '../helpers/raw-peer';

/** The README's Errors table: a TimeoutError when the close deadline passes. */
it('a close handshake the peer never answers ends with 1006, a TimeoutError the cause of what reads get', async () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    void readHead(socket).then(({ head }) => {
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n\r\n`);
      socket.resume(); // reads and ignores everything, the close frame included
    }, () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const conn = await dial(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { closeTimeoutMs: 200 });
    const read = conn.read().catch((err: unknown) => err);
    const info = await conn.close(1000);
    expect([info.code, info.wasClean]).toEqual([1006, false]);
    const error = await read;
    expect(error).toBeInstanceOf(CloseError);
    expect((error as CloseError).cause).toBeInstanceOf(TimeoutError);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
