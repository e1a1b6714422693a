import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { prepare } from '../../src/frame/prepared';
import { Hub } from '../../src/hub/hub';
import { serve, type WebSocketServer } from '../../src/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: WebSocketServer | undefined;
afterEach(async () => { await server?.close({ timeoutMs: 200 }); server = undefined; });

/** A server and `clients` clients dialled to it; the test hands the server side to its hub. */
async function setup(clients: number): Promise<{ serverSide: Conn[]; clientSide: Conn[] }> {
  const serverSide: Conn[] = [];
  server = await serve({ port: 0 }, (conn) => { serverSide.push(conn); });
  const clientSide = await Promise.all(Array.from({ length: clients }, () => dial(`ws://127.0.0.1:${server!.address().port}/`)));
  while (serverSide.length < clients) await sleep(5);
  return { serverSide, clientSide };
}

describe('Hub (in memory)', () => {
  it('delivers a publication to the subscribers of its topic only, except the one excluded', async () => {
    const hub = new Hub();
    const { serverSide: [a, b, c], clientSide: [ca, cb, cc] } = await setup(3);
    hub.subscribe(a, 'news');
    hub.subscribe(b, 'news');
    hub.subscribe(c, 'sport');
    expect(hub.topics(a)).toEqual(['news']);
    expect(hub.subscriberCount('news')).toBe(2);
    hub.publish('news', 'headline', { except: b });
    hub.publish('sport', new Uint8Array([1, 2, 3]));
    expect((await ca.read()).text()).toBe('headline');
    const binary = await cc.read();
    expect([binary.type, [...binary.data]]).toEqual(['binary', [1, 2, 3]]);
    hub.publish('news', 'second');
    expect((await cb.read()).text()).toBe('second'); // b skipped the first
    await hub.close();
  });

  it('unsubscribes, and forgets a connection when it closes', async () => {
    const hub = new Hub();
    const { serverSide: [a, b], clientSide: [ca, cb] } = await setup(2);
    hub.subscribe(a, 't');
    hub.subscribe(b, 't');
    hub.unsubscribe(a, 't');
    expect(hub.topics(a)).toEqual([]);
    await cb.close();
    await b.closed;
    expect(hub.subscriberCount('t')).toBe(0);
    hub.publish('t', 'nobody');
    await ca.close();
    await hub.close();
  });

  it('encodes a publication once for every subscriber (a PreparedMessage)', async () => {
    const hub = new Hub();
    const { serverSide, clientSide } = await setup(3);
    for (const conn of serverSide) hub.subscribe(conn, 'x');
    const message = prepare('shared');
    hub.publish('x', message);
    for (const c of clientSide) expect((await c.read()).text()).toBe('shared');
    await hub.close();
  });

  it('drops a subscriber whose queue overflows with 1008 and keeps delivering to the rest', async () => {
    const hub = new Hub({ maxQueuedMessages: 8 });
    const { serverSide: [slow, fast], clientSide: [cslow, cfast] } = await setup(2);
    hub.subscribe(slow, 't');
    hub.subscribe(fast, 't');
    // The slow one's pump is stuck on a send that cannot complete: its queue fills.
    (slow as unknown as { core: { sender: { send: () => Promise<void> } } }).core.sender.send = () => new Promise(() => {});
    for (let i = 0; i < 20; i++) {
      hub.publish('t', `m${i}`);
      await sleep(1);
    }
    expect(await cslow.closed).toMatchObject({ code: 1008 });
    for (let i = 0; i < 20; i++) expect((await cfast.read()).text()).toBe(`m${i}`);
    expect(hub.subscriberCount('t')).toBe(1);
    await hub.close();
  });

  it('batches queued text into one newline-separated frame when asked', async () => {
    const hub = new Hub({ batchText: true });
    const { serverSide: [a], clientSide: [ca] } = await setup(1);
    hub.subscribe(a, 't');
    for (let i = 0; i < 5; i++) hub.publish('t', `line ${i}`);
    const lines: string[] = [];
    while (lines.length < 5) lines.push(...(await ca.read()).text().split('\n'));
    expect(lines).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    await hub.close();
  });
});
