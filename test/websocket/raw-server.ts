import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { RawPeer, readHead } from '../helpers/raw-peer';

/** A raw server for WHATWG WebSocket tests: writes exact frames, optionally agreeing to permessage-deflate. */
export interface RawWsServer {
  url: string;
  /** The request heads received, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Accepts each handshake (answering `permessage-deflate` when `deflate` and the client offered
 * it) and hands the connection to `onPeer` as a RawPeer, which decodes what the client sends.
 */
export async function rawWsServer(deflate: boolean, onPeer: (peer: RawPeer) => void | Promise<void>): Promise<RawWsServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void readHead(socket).then(({ head, rest }) => {
      requests.push(head);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      const agree = deflate && /sec-websocket-extensions:.*permessage-deflate/i.test(head);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n${agree ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : ''}\r\n`);
      const peer = new RawPeer(socket, 'server', rest, agree);
      socket.resume();
      void onPeer(peer);
    }, () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
