import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import type { BrokerEvent } from '../../src/hub/broker';
import { Hub } from '../../src/hub/hub';
import { RedisBroker } from '../../src/hub/redis-broker';
import { serve, type WebSocketServer } from '../../src/server';
import { freePort } from '../helpers/ports';
import { RedisProcess } from '../helpers/redis';

// Scale-out with a real Redis (Debian's redis-server, started by the test on a free loopback
// port with persistence off, stopped afterwards).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

let redis: RedisProcess;
beforeAll(async () => { redis = await RedisProcess.start(); }, 20_000);
afterAll(async () => { await redis?.kill(); });

/** Collects what a client receives, lines split (the chat batches lines). */
function collect(conn: Conn): string[] {
  const lines: string[] = [];
  void (async () => {
    try { for await (const m of conn) lines.push(...(m.type === 'text' ? m.text().split('\n') : [`binary:${Buffer.from(m.data).toString('hex')}`])); } catch { /* closed */ }
  })();
  return lines;
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

describe('RedisBroker', () => {
  it('carries text and binary byte for byte, keeps per-publisher order, and never echoes a node\'s own publications', async () => {
    const nodes = await Promise.all([0, 1].map(async () => {
      const hub = new Hub({ broker: await RedisBroker.connect({ url: redis.url, prefix: 'unit:' }) });
      const server: WebSocketServer = await serve({ port: 0 }, (conn) => hub.subscribe(conn, 'room'));
      return { hub, server };
    }));
    const [a, b] = await Promise.all(nodes.map((n) => dial(`ws://127.0.0.1:${n.server.address().port}/`)));
    while (nodes.some((n) => n.hub.subscriberCount('room') < 1)) await sleep(10);
    await sleep(100); // the Redis SUBSCRIBEs are in place
    const gotA = collect(a);
    const gotB = collect(b);
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      nodes[0].hub.publish('room', `from A ${i} ✓`);
      sent.push(`from A ${i} ✓`);
    }
    nodes[0].hub.publish('room', new Uint8Array([0, 0xff, 0x80, 10]));
    sent.push('binary:00ff800a');
    await until(() => gotA.length >= sent.length && gotB.length >= sent.length, 5000, 'delivery');
    await sleep(200); // anything extra (an echo) would arrive now
    expect(gotB).toEqual(sent); // through Redis, in order
    expect(gotA).toEqual(sent); // locally, exactly once
    await Promise.all([a.close(), b.close()]);
    for (const n of nodes) { await n.server.close({ timeoutMs: 200 }); await n.hub.close(); }
  }, 30_000);

  it('survives Redis dying and coming back: local delivery goes on, the gap is reported, cross-node delivery resumes', async () => {
    const ownRedis = await RedisProcess.start();
    const events: BrokerEvent[][] = [[], []];
    const nodes = await Promise.all([0, 1].map(async (i) => {
      const broker = await RedisBroker.connect({ url: ownRedis.url, minBackoffMs: 50, maxBackoffMs: 200 });
      const hub = new Hub({ broker, onBrokerEvent: (e) => events[i].push(e) });
      const server = await serve({ port: 0 }, (conn) => hub.subscribe(conn, 'room'));
      return { hub, server };
    }));
    const [a, b] = await Promise.all(nodes.map((n) => dial(`ws://127.0.0.1:${n.server.address().port}/`)));
    while (nodes.some((n) => n.hub.subscriberCount('room') < 1)) await sleep(10);
    await sleep(100);
    const gotA = collect(a);
    const gotB = collect(b);
    nodes[0].hub.publish('room', 'before');
    await until(() => gotB.includes('before'), 5000, 'before the outage');

    await ownRedis.kill();
    await until(() => events[0].some((e) => e.type === 'disconnected'), 5000, 'disconnection noticed');
    nodes[0].hub.publish('room', 'during');
    await until(() => gotA.includes('during'), 5000, 'local delivery during the outage');
    await until(() => events[0].some((e) => e.type === 'gap'), 5000, 'the gap reported');

    await ownRedis.restart();
    await until(() => events[0].some((e) => e.type === 'reconnected') && events[1].some((e) => e.type === 'reconnected'), 10_000, 'reconnection');
    // Publish until one crosses: the subscriber side resubscribes on its own schedule.
    for (let i = 0; !gotB.some((l) => l.startsWith('after')); i++) {
      if (i > 100) throw new Error('no delivery after the restart');
      nodes[0].hub.publish('room', `after ${i}`);
      await sleep(50);
    }
    expect(gotB).not.toContain('during'); // at most once across an outage
    expect(gotB[0]).toBe('before');
    await Promise.all([a.close(), b.close()]);
    for (const n of nodes) { await n.server.close({ timeoutMs: 200 }); await n.hub.close(); }
    await ownRedis.kill();
  }, 60_000);
});

describe('chat nodes in separate processes over Redis', () => {
  const children: ChildProcess[] = [];
  afterAll(() => { for (const c of children) c.kill('SIGKILL'); });

  async function startNode(): Promise<string> {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'chat', '--port', String(port), '--redis', redis.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('chat node did not start')), 10_000);
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('chat on')) { clearTimeout(timer); resolve(); } });
    });
    return `ws://127.0.0.1:${port}/ws`;
  }

  it.each([2, 3])('%d nodes: clients on different nodes see each other\'s messages once, each publisher\'s in order', async (count) => {
    const urls = await Promise.all(Array.from({ length: count }, () => startNode()));
    const clients = await Promise.all(urls.map((u) => dial(u)));
    const got = clients.map(collect);
    await sleep(200);
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const from = i % count;
      await clients[from].send(`node ${from} says ${i}`);
      expected.push(`node ${from} says ${i}`);
    }
    await until(() => got.every((g) => g.length >= expected.length), 10_000, 'cross-node delivery');
    await sleep(200);
    for (const g of got) {
      expect([...g].sort()).toEqual([...expected].sort()); // every message, exactly once
      for (let from = 0; from < count; from++) {
        // Each publisher's messages in the order it sent them (the guarantee across nodes).
        const mine = (list: string[]) => list.filter((l) => l.startsWith(`node ${from} `));
        expect(mine(g)).toEqual(mine(expected));
      }
    }
    await Promise.all(clients.map((c) => c.close()));
  }, 60_000);

  it('a node leaving does not disturb the others', async () => {
    const urls = [await startNode(), await startNode(), await startNode()];
    const clients = await Promise.all(urls.map((u) => dial(u)));
    const got = clients.map(collect);
    await sleep(200);
    children.at(-1)!.kill('SIGKILL'); // the third node dies
    await clients[2].closed;
    await clients[0].send('still here');
    await clients[1].send('me too');
    await until(() => got[0].length >= 2 && got[1].length >= 2, 5000, 'delivery after a node left');
    for (const g of got.slice(0, 2)) expect([...g].sort()).toEqual(['me too', 'still here']);
    await Promise.all(clients.slice(0, 2).map((c) => c.close()));
  }, 60_000);

  it('1,000 clients over 3 nodes: every message delivered exactly once to each', async () => {
    const urls = [await startNode(), await startNode(), await startNode()];
    const clients: Conn[] = [];
    for (let i = 0; i < 1000; i += 100) {
      clients.push(...await Promise.all(Array.from({ length: 100 }, (_, k) => dial(urls[(i + k) % 3]))));
    }
    const got = clients.map(collect);
    await sleep(300);
    const expected = Array.from({ length: 20 }, (_, i) => `m${i} from client ${i * 37}`);
    for (const [i, text] of expected.entries()) await clients[i * 37].send(text);
    await until(() => got.every((g) => g.length >= expected.length), 30_000, '1,000-client delivery');
    await sleep(300);
    for (const g of got) expect([...g].sort()).toEqual([...expected].sort()); // exactly once each
    // One publisher per message here; each client sees one publisher's messages in order.
    await Promise.all(clients.map((c) => c.close()));
  }, 120_000);
});
