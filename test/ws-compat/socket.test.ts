// The socket's API (ws's doc/ws.md, class WebSocket), on every server/client pairing of
// wasmws/ws and ws, with permessage-deflate off and on: events and their argument types,
// binaryType, send() and its callback, fragments, ping/pong, close codes, pause/resume.
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPair, once, pairs, shutdown, sleep, type AnyServer, type AnySocket } from './helpers';

let servers: AnyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map(shutdown));
  servers = [];
});

const compressions = [['no compression', false], ['permessage-deflate', { threshold: 0 }]] as const;

/**
 * Pauses `server`, has `client` send 'held', then runs `end`: the close code `server`
 * emits (or 'no close event' within 2 s) and the messages it emitted.
 */
async function endWhilePaused(server: AnySocket, client: AnySocket, end: () => void): Promise<{ code: unknown; events: string[] }> {
  const events: string[] = [];
  server.on('message', (data: Buffer) => events.push(`message ${data.toString()}`));
  server.pause();
  client.send('held');
  await sleep(50);
  const closed = once(server, 'close');
  end();
  const outcome = await Promise.race([closed, sleep(2000).then(() => ['no close event'])]);
  return { code: outcome[0], events };
}

describe.each(pairs)('%s', (_name, serverImpl, clientImpl) => {
  describe.each(compressions)('%s', (_label, deflate) => {
    async function open(serverOptions = {}, clientOptions = {}) {
      const pair = await connectPair(serverImpl, clientImpl, { perMessageDeflate: deflate, ...serverOptions }, { perMessageDeflate: deflate, ...clientOptions });
      servers.push(pair.wss);
      return pair;
    }

    it('delivers text as a Buffer with isBinary false, binary as a Buffer with isBinary true', async () => {
      const { client, server } = await open();
      expect(client.extensions).toBe(deflate ? 'permessage-deflate' : '');
      client.send('héllo');
      const [text, textIsBinary] = await once(server, 'message');
      expect(Buffer.isBuffer(text)).toBe(true);
      expect(text.toString()).toBe('héllo');
      expect(textIsBinary).toBe(false);
      client.send(new Uint8Array([1, 2, 3]));
      const [bytes, bytesIsBinary] = await once(server, 'message');
      expect(Buffer.isBuffer(bytes)).toBe(true);
      expect([...bytes]).toEqual([1, 2, 3]);
      expect(bytesIsBinary).toBe(true);
      server.send(42); // a number is sent as its text
      const [number, numberIsBinary] = await once(client, 'message');
      expect(number.toString()).toBe('42');
      expect(numberIsBinary).toBe(false);
    });

    it('honours binaryType arraybuffer and fragments; text stays a Buffer', async () => {
      const { client, server } = await open();
      client.binaryType = 'arraybuffer';
      server.send(Buffer.from([9, 8]));
      const [ab, isBinary] = await once(client, 'message');
      expect(ab).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(ab)]).toEqual([9, 8]);
      expect(isBinary).toBe(true);
      server.send('text');
      const [text] = await once(client, 'message');
      expect(Buffer.isBuffer(text)).toBe(true);
      client.binaryType = 'fragments';
      server.send(Buffer.from([7]));
      const [fragments] = await once(client, 'message');
      expect(Array.isArray(fragments)).toBe(true);
      expect(Buffer.concat(fragments)).toEqual(Buffer.from([7]));
      client.binaryType = 'bogus';
      expect(client.binaryType).toBe('fragments');
    });

    it('sends { binary } as asked: a string as binary, bytes as text', async () => {
      const { client, server } = await open();
      client.send('abc', { binary: true });
      const [a, aBinary] = await once(server, 'message');
      expect(aBinary).toBe(true);
      expect(a.toString()).toBe('abc');
      client.send(Buffer.from('xyz'), { binary: false, compress: false });
      const [b, bBinary] = await once(server, 'message');
      expect(bBinary).toBe(false);
      expect(b.toString()).toBe('xyz');
    });

    it('calls send callbacks in order, each after its data is written, and the peer has them all', async () => {
      const { client, server } = await open();
      const order: number[] = [];
      const received: string[] = [];
      server.on('message', (data: Buffer) => received.push(data.toString()));
      await new Promise<void>((resolve, reject) => {
        for (let i = 0; i < 20; i++) {
          client.send(`m${i}`, (err?: Error) => {
            if (err) reject(err);
            order.push(i);
            if (i === 19) resolve();
          });
        }
      });
      expect(order).toEqual([...Array(20).keys()]);
      for (let i = 0; i < 100 && received.length < 20; i++) await sleep(5);
      expect(received).toEqual([...Array(20).keys()].map((i) => `m${i}`));
    });

    it('joins fin:false pieces into one message, and later sends wait for it', async () => {
      const { client, server } = await open();
      const messages: [string, boolean][] = [];
      server.on('message', (data: Buffer, isBinary: boolean) => messages.push([data.toString(), isBinary]));
      client.send('one ', { fin: false });
      client.send('two ', { fin: false });
      client.send('three', { fin: true });
      client.send('after');
      for (let i = 0; i < 100 && messages.length < 2; i++) await sleep(5);
      expect(messages).toEqual([['one two three', false], ['after', false]]);
    });

    it('sends a Blob as binary, keeping the order of the sends around it', async () => {
      const { client, server } = await open();
      const got: [string, boolean][] = [];
      server.on('message', (data: Buffer, isBinary: boolean) => got.push([data.toString(), isBinary]));
      client.send('before');
      const written = new Promise((resolve) => client.send(new Blob(['blob bytes']), resolve));
      client.send('after');
      expect(await written).toBeFalsy();
      for (let i = 0; i < 100 && got.length < 3; i++) await sleep(5);
      expect(got).toEqual([['before', false], ['blob bytes', true], ['after', false]]);
    });

    it('emits ping and pong with Buffer payloads; ping callbacks run', async () => {
      const { client, server } = await open();
      const pinged = once(server, 'ping');
      const ponged = once(client, 'pong');
      const called = new Promise((resolve) => client.ping('hi', undefined, resolve));
      expect(await called).toBeFalsy();
      const [pingData] = await pinged;
      const [pongData] = await ponged;
      expect(Buffer.isBuffer(pingData) && pingData.toString()).toBe('hi');
      expect(Buffer.isBuffer(pongData) && pongData.toString()).toBe('hi');
      const unsolicited = once(client, 'pong');
      server.pong(Buffer.from('beat'));
      expect((await unsolicited)[0].toString()).toBe('beat');
      expect(() => client.ping(Buffer.alloc(126))).toThrow(RangeError);
    });

    it('closes with the code and a Buffer reason on both sides; readyState follows', async () => {
      const { client, server } = await open();
      const serverClosed = once(server, 'close');
      const clientClosed = once(client, 'close');
      client.close(4001, 'done here');
      expect(client.readyState).toBe(client.CLOSING);
      const [code, reason] = await serverClosed;
      expect(code).toBe(4001);
      expect(Buffer.isBuffer(reason) && reason.toString()).toBe('done here');
      const [clientCode, clientReason] = await clientClosed;
      expect(clientCode).toBe(4001);
      expect(Buffer.isBuffer(clientReason)).toBe(true);
      expect(client.readyState).toBe(3);
      expect(server.readyState).toBe(3);
    });

    it('gives send() after close an error in its callback and counts the bytes in bufferedAmount', async () => {
      const { client } = await open();
      client.close();
      await once(client, 'close');
      const before = client.bufferedAmount;
      const [err] = await new Promise<any[]>((resolve) => client.send('12345', (...args: any[]) => resolve(args)));
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/not open/);
      expect(client.bufferedAmount).toBe(before + 5);
      expect(() => client.send('no callback')).not.toThrow();
    });

    it('rejects a close code that may not be sent (TypeError) and a reason over 123 bytes (RangeError)', async () => {
      const { client } = await open();
      expect(() => client.close(1005)).toThrow(TypeError);
      expect(() => client.close(999)).toThrow(TypeError);
      expect(() => client.close(1000, 'x'.repeat(124))).toThrow(RangeError);
      expect(client.readyState).toBe(1);
    });

    it('terminate() ends the connection: 1006 on both sides', async () => {
      const { client, server } = await open();
      const serverClosed = once(server, 'close');
      const clientClosed = once(client, 'close');
      client.terminate();
      expect((await clientClosed)[0]).toBe(1006);
      expect((await serverClosed)[0]).toBe(1006);
    });

    it('pause() holds messages back until resume(), in order', async () => {
      const { client, server } = await open();
      const got: string[] = [];
      client.on('message', (data: Buffer) => got.push(data.toString()));
      client.pause();
      expect(client.isPaused).toBe(true);
      server.send('a');
      server.send('b');
      await sleep(50);
      expect(got).toEqual([]);
      client.resume();
      expect(client.isPaused).toBe(false);
      for (let i = 0; i < 100 && got.length < 2; i++) await sleep(5);
      expect(got).toEqual(['a', 'b']);
    });

    it('terminate() while paused still emits close (1006) and ends CLOSED; messages held come before it', async () => {
      const { client, server, wss } = await open();
      client.on('error', () => {});
      const { code, events } = await endWhilePaused(server, client, () => server.terminate());
      expect(code).toBe(1006);
      expect(server.readyState).toBe(3);
      expect(events.every((e) => e === 'message held')).toBe(true);
      if (wss.clients) expect(wss.clients.size).toBe(0);
    });

    it('has the readyState constants on the class and the instance, and protocol/url', async () => {
      const { client, server } = await open();
      for (const socket of [client, server]) {
        expect([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED]).toEqual([0, 1, 2, 3]);
        expect(socket.readyState).toBe(1);
        expect(socket.protocol).toBe('');
      }
      expect([clientImpl.WebSocket.CONNECTING, clientImpl.WebSocket.OPEN, clientImpl.WebSocket.CLOSING, clientImpl.WebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
      expect(client.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
      expect(server.url).toBeUndefined();
      // ws's `_socket`, which applications read for the peer's address.
      expect(server._socket.remoteAddress).toBe('127.0.0.1');
      expect(client.bufferedAmount).toBe(0);
    });

    it('supports onmessage/addEventListener with ws\'s event objects', async () => {
      const { client, server } = await open();
      const events: unknown[] = [];
      const handler = (event: any) => events.push(['listener', event.type, event.data]);
      client.addEventListener('message', handler);
      client.addEventListener('message', handler); // added once only
      client.onmessage = (event: any) => events.push(['onmessage', event.data, event.target === client]);
      expect(typeof client.onmessage).toBe('function');
      server.send('text');
      await sleep(30);
      server.send(Buffer.from([1]));
      await sleep(30);
      expect(events[0]).toEqual(['listener', 'message', 'text']);
      expect(events[1]).toEqual(['onmessage', 'text', true]);
      expect(Buffer.isBuffer((events[2] as unknown[])[2])).toBe(true);
      client.removeEventListener('message', handler);
      client.onmessage = null;
      expect(client.onmessage).toBeNull();
      expect(client.listenerCount('message')).toBe(0);
      const closeEvent = new Promise<any>((resolve) => client.addEventListener('close', resolve, { once: true }));
      server.close(4002, 'why');
      const event = await closeEvent;
      expect([event.type, event.code, event.reason, event.wasClean]).toEqual(['close', 4002, 'why', true]);
    });
  });
});

describe('a paused socket whose peer vanishes (ws\'s pause(): the socket is not read, so the end is seen on resume)', () => {
  it.each(pairs)('%s: nothing is emitted while paused; resume() emits the held message, then close 1006', async (_name, serverImpl, clientImpl) => {
    const { wss, client, server } = await connectPair(serverImpl, clientImpl);
    servers.push(wss);
    const events: string[] = [];
    server.on('message', (data: Buffer) => events.push(`message ${data.toString()}`));
    server.on('close', (code: number) => events.push(`close ${code}`));
    server.on('error', () => {});
    server.pause();
    client.send('held');
    await sleep(50);
    client.terminate();
    await sleep(100);
    expect(events).toEqual([]);
    expect(server.readyState).toBe(1);
    server.resume();
    for (let i = 0; i < 200 && events.length < 2; i++) await sleep(5);
    expect(events).toEqual(['message held', 'close 1006']);
    expect(server.readyState).toBe(3);
    if (wss.clients) expect(wss.clients.size).toBe(0);
  });
});
