// When serve() closes a connection its handler left open, and what leaving a `for await`
// loop does (issue 12 #18).
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { CloseInfo, Conn } from '../../src/conn/connection';
import { Hub } from '../../src/hub/hub';
import { serve, type WebSocketServer } from '../../src/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settledWithin(conn: Conn, ms: number): Promise<CloseInfo | 'pending'> {
  return Promise.race([conn.closed, sleep(ms).then(() => 'pending' as const)]);
}

let server: WebSocketServer | undefined;
afterEach(async () => { await server?.close({ timeoutMs: 200 }); server = undefined; });

describe.each([['off', false], ['on', true]] as const)('serve() handler lifetime, permessage-deflate %s', (_name, compression) => {
  const url = () => `ws://127.0.0.1:${server!.address().port}/`;
  const options = { port: 0, compression, pingIntervalMs: 0 };
  const text = 'reply '.repeat(100); // compressed when deflate is on

  it('closes with 1000 when an async handler returns, after what it sent', async () => {
    server = await serve(options, async (conn) => {
      const msg = await conn.read();
      await conn.send(`${text}${msg.text()}`);
    });
    const conn = await dial(url(), { compression });
    await conn.send('hi');
    expect((await conn.read()).text()).toBe(`${text}hi`);
    expect(await settledWithin(conn, 2000)).toEqual({ code: 1000, reason: '', wasClean: true });
  });

  it('closes with 1000 when the handler breaks out of its `for await` loop and returns', async () => {
    server = await serve(options, async (conn) => {
      for await (const msg of conn) {
        await conn.send(msg.text());
        if (msg.text() === 'last') break;
      }
    });
    const conn = await dial(url(), { compression });
    await conn.send('one');
    await conn.send('last');
    expect((await conn.read()).text()).toBe('one');
    expect((await conn.read()).text()).toBe('last');
    expect(await settledWithin(conn, 2000)).toMatchObject({ code: 1000, wasClean: true });
  });

  it('leaves the connection to the application when a plain handler returns (a broadcast hub)', async () => {
    const hub = new Hub();
    server = await serve(options, (conn) => hub.subscribe(conn, 'news'));
    const conn = await dial(url(), { compression });
    while (hub.subscriberCount('news') < 1) await sleep(5);
    await sleep(50);
    hub.publish('news', text);
    expect((await conn.read()).text()).toBe(text);
    expect(conn.readyState).toBe('open');
    await conn.close(4000, 'bye');
    await hub.close(1001, 'done');
  });

  it('keeps the connection while an async handler awaits `closed`', async () => {
    let serverConn: Conn | undefined;
    server = await serve(options, async (conn) => { serverConn = conn; await conn.closed; });
    const conn = await dial(url(), { compression });
    while (!serverConn) await sleep(5);
    await sleep(50);
    await serverConn.send(text);
    expect((await conn.read()).text()).toBe(text);
    expect(await conn.close(4001, 'mine')).toMatchObject({ code: 4001, wasClean: true });
  });
});

describe('leaving a `for await` loop over a Conn (the loop is only a reader)', () => {
  it('neither closes the connection nor loses a message: a second loop goes on from the next one', async () => {
    server = await serve({ port: 0, pingIntervalMs: 0 }, (conn) => {
      for (const m of ['a', 'b', 'c', 'd', 'e']) void conn.send(m);
    });
    const conn = await dial(`ws://127.0.0.1:${server.address().port}/`);
    const first: string[] = [];
    for await (const msg of conn) {
      first.push(msg.text());
      if (first.length === 2) break;
    }
    expect(first).toEqual(['a', 'b']);
    expect(conn.readyState).toBe('open');
    const iterator = conn[Symbol.asyncIterator]();
    expect(await iterator.next()).toMatchObject({ done: false, value: { type: 'text' } });
    expect(await iterator.return!()).toEqual({ done: true, value: undefined });
    expect((await conn.read()).text()).toBe('d');
    await expect(async () => {
      for await (const msg of conn) { expect(msg.text()).toBe('e'); throw new Error('out'); }
    }).rejects.toThrow('out');
    expect(conn.readyState).toBe('open');
    await conn.close();
  });
});
