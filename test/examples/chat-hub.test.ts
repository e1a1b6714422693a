import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { startChat, type ChatServer } from '../../examples/chat/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects a client's chat lines (a frame may carry several, newline-separated). */
function collect(conn: Conn): string[] {
  const lines: string[] = [];
  void (async () => {
    try { for await (const m of conn) lines.push(...m.text().split('\n')); } catch { /* closed */ }
  })();
  return lines;
}

describe('chat hub', () => {
  let chat: ChatServer;
  let wsUrl = '';
  beforeAll(async () => {
    chat = await startChat({ port: 0 });
    wsUrl = `${chat.url.replace('http', 'ws')}ws`;
  });
  afterAll(() => chat.close());

  it('delivers every broadcast to each of 500 clients exactly once, in order', async () => {
    const conns: Conn[] = [];
    for (let i = 0; i < 500; i += 50) {
      conns.push(...await Promise.all(Array.from({ length: 50 }, () => dial(wsUrl, { headers: { Origin: chat.url.slice(0, -1) } }))));
    }
    while (chat.hub.subscriberCount('chat') < 500) await sleep(10);
    const received = conns.map(collect);
    const expected = Array.from({ length: 40 }, (_, i) => `message ${i} from client ${i % 7}`);
    // Messages from different connections reach the hub in the order they arrive: each is
    // sent once the one before it came back, so that order is the expected one. (send()
    // resolves once queued, README: it says nothing of the order across connections.)
    for (const [i, text] of expected.entries()) {
      await conns[i % 7].send(text);
      for (let waited = 0; waited < 5000 && received[499].length <= i; waited += 2) await sleep(2);
    }
    for (let waited = 0; waited < 15_000 && received.some((r) => r.length < expected.length); waited += 50) await sleep(50);
    for (const lines of received) expect(lines).toEqual(expected);
    await Promise.all(conns.map((c) => c.close()));
  }, 60_000);

  it('drops a stalled client with 1008 while the others keep receiving everything', async () => {
    const readers = await Promise.all(Array.from({ length: 5 }, () => dial(wsUrl)));
    const received = readers.map(collect);
    const stalled = await rawStalled(chat);
    while (chat.hub.subscriberCount('chat') < 6) await sleep(10);
    stalled.socket.pause(); // never reads again: its kernel buffers fill, then its queue
    // Incompressible lines, so that compression does not keep the stalled socket from filling.
    const line = (i: number) => `${i} ${Buffer.from(crypto.getRandomValues(new Uint8Array(300))).toString('base64')}`;
    const sent: string[] = [];
    const total = 30_000;
    for (let i = 0; i < total; i++) {
      sent.push(line(i));
      chat.hub.publish('chat', sent[i]);
      // Bursts of 100 (under the 256-message queue), paced by the healthy readers: the hub may
      // drop anyone who falls 256 behind, and only the stalled client should.
      if (i % 100 === 99) {
        for (let waited = 0; waited < 5000 && received.some((r) => r.length <= i - 100); waited += 2) await sleep(2);
      }
    }
    for (let waited = 0; waited < 30_000 && received.some((r) => r.length < total); waited += 50) await sleep(50);
    for (const lines of received) {
      expect(lines.length).toBe(total);
      expect(lines).toEqual(sent);
    }
    expect(chat.hub.subscriberCount('chat')).toBe(5); // the stalled one was dropped
    stalled.socket.resume(); // now read what was sent before the drop, then the close frame
    await stalled.waitFrames(Number.MAX_SAFE_INTEGER, 10_000).catch(() => {});
    expect(stalled.closeFrame()?.[0]).toBe(1008);
    await Promise.all(readers.map((c) => c.close()));
  }, 90_000);
});

/** A raw client on /ws whose socket the test can pause. */
async function rawStalled(chat: ChatServer) {
  const { connect } = await import('node:net');
  const { RawPeer } = await import('../helpers/raw-peer');
  const port = Number(new URL(chat.url).port);
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET /ws HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const head = await new Promise<Buffer>((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) { socket.off('data', onData); socket.pause(); resolve(buf.subarray(end + 4)); }
    };
    socket.on('data', onData);
  });
  const peer = new RawPeer(socket, 'client', new Uint8Array(head));
  return peer;
}
