import { describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { serve } from '../../src/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A socket paused because the application has not read its backlog yet cannot show the
 * peer's pongs: that silence is ours, not the peer's, and must not drop the connection.
 */
describe.each([false, true])('keepalive while reading is paused by a slow application (compression %s)', (compression) => {
  it('keeps the connection through pong and idle deadlines, and delivers everything', async () => {
    const COUNT = 40;
    const server = await serve({
      port: 0, compression: compression ? {} : false, maxReadBufferBytes: 16 * 1024,
      pingIntervalMs: 50, pongTimeoutMs: 100, idleTimeoutMs: 300, onHandlerError: () => {},
    }, async (conn) => {
      await sleep(800); // busy elsewhere: the backlog pauses the socket meanwhile
      let n = 0;
      for await (const m of conn) {
        expect(m.data.length).toBe(4096);
        if (++n === COUNT) break;
      }
      await conn.send(`read ${n}`);
      await conn.closed;
    });
    try {
      const client = await dial(`ws://127.0.0.1:${server.address().port}/`, { compression: compression ? {} : false });
      const payload = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff); // hard to compress
      for (let i = 0; i < COUNT; i++) void client.send(payload).catch(() => {});
      const reply = await client.read().then((m) => m.text(), (err: Error) => `failed: ${err.message}`);
      expect(reply).toBe(`read ${COUNT}`);
      await client.close();
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  }, 10_000);
});
