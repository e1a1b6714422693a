// ws's doc/ws.md: "callback: An optional callback which is invoked when data is written out";
// pause(): "Pause the socket" (it stops reading), resume() emits what came meanwhile;
// autoPong: false leaves pings to the application. Each scenario runs on every pairing of
// wasmws/ws and ws, with permessage-deflate off and on, so an assertion that holds for
// ws with ws is ws's behaviour.
import { randomFillSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPair, listen, ours, pairs, real, shutdown, sleep, type AnyServer, type AnySocket, type Impl } from './helpers';

let servers: AnyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map(shutdown));
  servers = [];
});

const compressions = [['no compression', false], ['permessage-deflate', { threshold: 0 }]] as const;
/** Random bytes: deflate cannot shrink them, so they fill the TCP buffers as they are. */
const noise = (bytes: number) => randomFillSync(Buffer.alloc(bytes));

/** Waits until `check()` holds (or `ms` passed); returns whether it held. */
async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) if (check()) return true;
  return check();
}

describe.each(pairs)('%s', (_name, serverImpl: Impl, clientImpl: Impl) => {
  describe.each(compressions)('%s', (_label, deflate) => {
    async function open() {
      const pair = await connectPair(serverImpl, clientImpl, { perMessageDeflate: deflate }, { perMessageDeflate: deflate });
      servers.push(pair.wss);
      return pair;
    }

    it('a small send\'s callback runs once the socket\'s write of it completes, not before (the write held back here)', async () => {
      const { server } = await open();
      // Every socket.write of the server is forwarded only when the test releases it.
      const socket = server._socket;
      const write = socket.write;
      const held: (() => void)[] = [];
      socket.write = function (this: unknown, ...args: unknown[]) {
        held.push(() => write.apply(socket, args));
        return true;
      };
      const called: string[] = [];
      server.send('one', (err?: Error) => called.push(err ? 'error' : 'one'));
      server.ping('p', undefined, (err?: Error) => called.push(err ? 'error' : 'ping'));
      server.send('two', { compress: false }, (err?: Error) => called.push(err ? 'error' : 'two'));
      await sleep(100);
      expect(called).toEqual([]);
      expect(held.length).toBeGreaterThan(0);
      socket.write = write;
      for (const release of held.splice(0)) release();
      expect(await until(() => called.length === 3)).toBe(true);
      expect(called).toEqual(['one', 'ping', 'two']);
    });

    it('a send\'s callback waits until its bytes are written: not while the peer reads nothing, then after it resumes', async () => {
      const { client, server } = await open();
      const called: (Error | undefined | null)[] = [];
      const received: number[] = [];
      server.on('message', (data: Buffer) => received.push(data.length));
      server.pause();
      client.send(noise(16 << 20), (err?: Error) => called.push(err));
      client.send('after', (err?: Error) => called.push(err));
      await sleep(300);
      expect(called).toEqual([]); // the bytes sit in our socket's buffer: TCP is full
      expect(client.bufferedAmount).toBeGreaterThan(1 << 20);
      server.resume();
      expect(await until(() => called.length === 2)).toBe(true);
      expect(called.every((err) => !err)).toBe(true);
      expect(await until(() => received.length === 2)).toBe(true);
      expect(received).toEqual([16 << 20, 5]);
    });

    it('terminate() with data still to write gives every pending callback the error, in order, once', async () => {
      const { client, server } = await open();
      const called: [number, boolean][] = [];
      server.pause();
      client.on('error', () => {});
      for (let i = 0; i < 5; i++) client.send(noise(4 << 20), (err?: Error) => called.push([i, err instanceof Error]));
      await sleep(200);
      expect(called.filter(([, failed]) => !failed).length).toBeLessThan(5); // TCP is full: some are waiting
      client.terminate();
      expect(await until(() => called.length >= 5)).toBe(true);
      await sleep(50);
      expect(called.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
      expect(called[4][1]).toBe(true);
      // Written ones succeeded first, the rest failed: never a success after a failure.
      const firstFailure = called.findIndex(([, failed]) => failed);
      expect(called.slice(firstFailure).every(([, failed]) => failed)).toBe(true);
    });

    it('pause() applies TCP backpressure: no message is emitted, the socket is not read, the sender\'s bytes back up; resume() emits them in order', async () => {
      const { client, server } = await open();
      const got: number[] = [];
      server.on('message', (data: Buffer) => got.push(data.readUInt32BE(0)));
      server.pause();
      expect(server.isPaused).toBe(true);
      const readBefore = server._socket.bytesRead;
      const count = 64;
      for (let i = 0; i < count; i++) {
        const message = noise(256 << 10);
        message.writeUInt32BE(i, 0);
        client.send(message);
      }
      await sleep(400);
      expect(got).toEqual([]);
      // 16 MiB sent; what our socket read while paused is bounded by one read, not the stream.
      expect(server._socket.bytesRead - readBefore).toBeLessThan(1 << 20);
      expect(client.bufferedAmount).toBeGreaterThan(8 << 20);
      server.resume();
      expect(server.isPaused).toBe(false);
      expect(await until(() => got.length === count, 10_000)).toBe(true);
      expect(got).toEqual([...Array(count).keys()]);
    });
  });
});

// A wasmws/ws sender only: ws's callback may get no error here, when node reports the write
// of a socket destroyed meanwhile as done (stream_base_commons calls it with null).
describe('a wasmws/ws sender whose peer goes away', () => {
  const sendersPeers: [string, Impl, false | { threshold: number }][] = [
    ['wasmws/ws server', ours, false], ['wasmws/ws server, permessage-deflate', ours, { threshold: 0 }],
    ['ws server', real, false], ['ws server, permessage-deflate', real, { threshold: 0 }],
  ];
  it.each(sendersPeers)('%s: the peer going away with data still to write gives the pending callbacks the error', async (_name, serverImpl, deflate) => {
    const { client, server, wss } = await connectPair(serverImpl, ours, { perMessageDeflate: deflate }, { perMessageDeflate: deflate });
    servers.push(wss);
    const called: boolean[] = [];
    server.pause();
    client.on('error', () => {});
    client.send(noise(16 << 20), (err?: Error) => called.push(err instanceof Error));
    client.close();
    await sleep(200);
    expect(called).toEqual([]);
    server.terminate();
    expect(await until(() => called.length === 1)).toBe(true);
    expect(called).toEqual([true]);
  });
});

describe('autoPong: false', () => {
  const sides: [string, Impl, Impl, 'server' | 'client'][] = [
    ['wasmws/ws server', ours, real, 'server'],
    ['ws server', real, ours, 'server'],
    ['wasmws/ws client', real, ours, 'client'],
    ['ws client', ours, real, 'client'],
  ];
  it.each(sides)('%s: no automatic pong goes out; the ping is emitted and the application\'s pong() goes out, its callback after the write', async (_name, serverImpl, clientImpl, side) => {
    const { wss, client, server } = await connectPair(serverImpl, clientImpl,
      side === 'server' ? { autoPong: false } : {}, side === 'client' ? { autoPong: false } : {});
    servers.push(wss);
    const [quiet, pinger] = side === 'server' ? [server, client] : [client, server];
    const pongs: string[] = [];
    const pings: string[] = [];
    pinger.on('pong', (data: Buffer) => pongs.push(data.toString()));
    quiet.on('ping', (data: Buffer) => pings.push(data.toString()));
    pinger.ping('are you there');
    await sleep(150);
    expect(pings).toEqual(['are you there']);
    expect(pongs).toEqual([]);
    const written = new Promise((resolve) => quiet.pong('yes', undefined, resolve));
    expect(await written).toBeFalsy();
    expect(await until(() => pongs.length === 1)).toBe(true);
    expect(pongs).toEqual(['yes']);
  });

  it.each([['ws server', real], ['wasmws/ws server', ours]] as const)('a ping the %s sends on connection (right behind the 101) is emitted by a wasmws/ws client, as by ws\'s', async (_name, serverImpl) => {
    for (const clientImpl of [real, ours]) {
      const { wss, url } = await listen(serverImpl, {});
      servers.push(wss);
      wss.on('connection', (peer: AnySocket) => { peer.ping('first'); peer.send('then'); });
      const client = new clientImpl.WebSocket(url, { autoPong: false });
      const events: string[] = [];
      client.on('ping', (data: Buffer) => events.push(`ping ${data}`));
      client.on('message', (data: Buffer) => events.push(`message ${data}`));
      expect(await until(() => events.length === 2, 1000), `${clientImpl.name}: ${events}`).toBe(true);
      expect(events).toEqual(['ping first', 'message then']);
      client.terminate();
    }
  });

  it('by default (true) a ping is answered with its own payload', async () => {
    const { wss, client } = await connectPair(ours, ours);
    servers.push(wss);
    const pong = new Promise((resolve) => client.once('pong', (data: Buffer) => resolve(data.toString())));
    client.ping('echo me');
    expect(await pong).toBe('echo me');
  });
});
