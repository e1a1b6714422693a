// createWebSocketStream (ws's doc/ws.md): a Duplex whose writes are messages and whose reads
// are the messages received; end() closes the socket; destroy() terminates it.
import { Buffer } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketStream as ourStream } from '../../src/ws/index';
import { createWebSocketStream as realStream } from 'ws';
import { connectPair, listen, once, ours, real, shutdown, type AnyServer } from './helpers';

let servers: AnyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map(shutdown));
  servers = [];
});

describe.each([['wasmws/ws', ours, ourStream], ['ws', real, realStream]] as const)('%s createWebSocketStream', (_name, impl, createWebSocketStream) => {
  it('reads messages as Buffers and writes chunks as messages', async () => {
    const { wss, client, server } = await connectPair(impl, impl);
    servers.push(wss);
    const duplex = createWebSocketStream(client as never);
    const received = once(server, 'message');
    duplex.write(Buffer.from('up'));
    expect((await received)[0].toString()).toBe('up');
    const data = once(duplex, 'data');
    server.send('down');
    const [chunk] = await data;
    expect(Buffer.isBuffer(chunk) && chunk.toString()).toBe('down');
    duplex.destroy();
  });

  it('ends the readable side when the peer closes, and end() closes the socket', async () => {
    const { wss, client, server } = await connectPair(impl, impl);
    servers.push(wss);
    const duplex = createWebSocketStream(client as never);
    const chunks: string[] = [];
    const done = pipeline(duplex, async function* (source) {
      for await (const chunk of source) chunks.push(chunk.toString());
    });
    server.send('a');
    server.send('b');
    const clientClosed = once(client, 'close');
    server.close(1000);
    await done;
    expect(chunks.join('')).toBe('ab');
    expect((await clientClosed)[0]).toBe(1000);
  });

  it('writes while connecting go out after open; end() closes with the close handshake', async () => {
    const { wss, url } = await listen(impl);
    servers.push(wss);
    const client = new impl.WebSocket(url);
    const duplex = createWebSocketStream(client);
    duplex.on('data', () => {});
    const [server] = await once(wss, 'connection');
    const received = once(server, 'message');
    const serverClosed = once(server, 'close');
    duplex.end('early');
    expect((await received)[0].toString()).toBe('early');
    // end() closes without a code: 1005 at the peer.
    expect((await serverClosed)[0]).toBe(1005);
  });

  it('destroy() terminates the socket (1006 at the peer)', async () => {
    const { wss, client, server } = await connectPair(impl, impl);
    servers.push(wss);
    const duplex = createWebSocketStream(client as never);
    const serverClosed = once(server, 'close');
    const duplexClosed = once(duplex, 'close');
    duplex.destroy();
    expect((await serverClosed)[0]).toBe(1006);
    await duplexClosed;
  });

  it('destroy() with its readable side full (the socket paused by backpressure) still closes the stream', async () => {
    const { wss, client, server } = await connectPair(impl, impl);
    servers.push(wss);
    const duplex = createWebSocketStream(client as never, { readableHighWaterMark: 1 });
    server.send('fills the readable side');
    server.send('and more');
    for (let i = 0; i < 100 && !client.isPaused; i++) await new Promise((r) => setTimeout(r, 5));
    expect(client.isPaused).toBe(true); // nobody reads the duplex
    const duplexClosed = Promise.race([once(duplex, 'close'), new Promise((r) => setTimeout(() => r('no close'), 2000))]);
    duplex.destroy();
    expect(await duplexClosed).not.toBe('no close');
  });
});
