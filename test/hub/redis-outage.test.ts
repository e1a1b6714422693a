import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { BrokerUnreachableError, type BrokerEvent } from '../../src/hub/broker';
import { Hub } from '../../src/hub/hub';
import { RedisBroker, type RedisBrokerOptions, type RedisClientLike } from '../../src/hub/redis-broker';
import { serve, type WebSocketServer } from '../../src/server';
import { freePort } from '../helpers/ports';
import { RedisProcess } from '../helpers/redis';

// Redis going away at start and mid-flight (a real redis-server per test, killed with
// SIGKILL and restarted on the same port), with nodes that reconnect on different schedules.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > timeoutMs) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

/** Resolves with what `promise` settled to, or 'pending' after `ms`. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | 'pending'> {
  return Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), sleep(ms).then(() => 'pending' as const)]);
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const step of cleanup.splice(0).reverse()) await step().catch(() => {}); });

/** A node: a hub on `broker options`, a server whose connections join `topic`, one client of it. */
async function node(options: RedisBrokerOptions, topic: string) {
  const events: BrokerEvent[] = [];
  const hub = new Hub({ broker: await RedisBroker.connect(options), onBrokerEvent: (e) => events.push(e) });
  const serverSide: Conn[] = [];
  const server: WebSocketServer = await serve({ port: 0 }, (conn) => { serverSide.push(conn); hub.subscribe(conn, topic); });
  const client = await dial(`ws://127.0.0.1:${server.address().port}/`);
  const got: string[] = [];
  void (async () => { try { for await (const m of client) got.push(m.text()); } catch { /* closed */ } })();
  while (serverSide.length < 1) await sleep(5);
  cleanup.push(() => client.close(), () => server.close({ timeoutMs: 200 }), () => hub.close());
  return { hub, events, got, conn: serverSide[0] };
}

describe('RedisBroker.connect() with Redis unreachable', () => {
  // Issue 12, finding 12: it never settled (the reconnect strategy always returned a delay).
  it('rejects within connectTimeoutMs with a BrokerUnreachableError that names the host, not the credentials', async () => {
    const port = await freePort(); // nothing listens there
    const result = await settledWithin(RedisBroker.connect({ url: `redis://user:s3cret@127.0.0.1:${port}`, connectTimeoutMs: 300, minBackoffMs: 20 }), 5000);
    expect(result).not.toBe('pending');
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect(error).toMatchObject({ code: 'WS_ERR_BROKER_UNREACHABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('rejects durations that would never time out or would retry in a tight loop', async () => {
    for (const bad of [{ connectTimeoutMs: Number.NaN }, { connectTimeoutMs: 0 }, { minBackoffMs: -1 }, { maxBackoffMs: Infinity }]) {
      await expect(RedisBroker.connect({ url: 'redis://127.0.0.1:1', ...bad })).rejects.toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
    }
  });

  it('connects when Redis comes up within connectTimeoutMs (it retries meanwhile)', async () => {
    const port = await freePort();
    const connecting = RedisBroker.connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 5000, minBackoffMs: 20, maxBackoffMs: 50 });
    await sleep(200);
    const redis = await RedisProcess.start(port);
    cleanup.push(() => redis.kill());
    const result = await settledWithin(connecting, 5000);
    expect(result).toMatchObject({ value: expect.any(RedisBroker) });
    await (result as { value: RedisBroker }).value.close();
  });

  it('fromClients: rejects after timeoutMs when connect() never settles, and releases both clients', async () => {
    let released = 0;
    const stuck = (): RedisClientLike => ({
      connect: () => new Promise(() => {}),
      publish: async () => 0, subscribe: async () => {}, unsubscribe: async () => {},
      on: () => {}, destroy: () => { released++; }, isReady: false,
    });
    const result = await settledWithin(RedisBroker.fromClients(stuck(), stuck(), 'x:', 200), 5000);
    expect((result as { error: unknown }).error).toBeInstanceOf(BrokerUnreachableError);
    expect(released).toBe(2);
  });
});

/** A node-redis stand-in that records listeners, so a test can play Redis' part. */
function fakeClient() {
  const handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  const channels = new Map<string, (message: Uint8Array, channel: Uint8Array) => void>();
  const client: RedisClientLike & { emit(event: string, ...args: unknown[]): void; channels: typeof channels } = {
    connect: async () => { client.emit('ready'); },
    publish: async () => 1,
    subscribe: async (channel, listener) => { channels.set(channel, listener); },
    unsubscribe: async (channel) => { channels.delete(channel); },
    on: (event, listener) => { handlers.set(event, [...(handlers.get(event) ?? []), listener]); },
    close: async () => {},
    isReady: true,
    emit: (event, ...args) => { for (const h of handlers.get(event) ?? []) h(...args); },
    channels,
  };
  return client;
}

describe('RedisBroker and callbacks that throw', () => {
  it('a throwing event listener or message handler never reaches node-redis (which would stop its connection)', async () => {
    const [pub, sub] = [fakeClient(), fakeClient()];
    const broker = await RedisBroker.fromClients(pub, sub, 'p:');
    let events = 0;
    let messages = 0;
    broker.onEvent(() => { events++; throw new Error('listener bug'); });
    broker.onMessage(() => { messages++; throw new Error('handler bug'); });
    broker.subscribe('t');
    await sleep(0);
    expect(() => pub.emit('error', new Error('connection lost'))).not.toThrow();
    expect(() => sub.emit('ready')).not.toThrow();
    const wire = Buffer.concat([Buffer.from([0, 2]), Buffer.from('nd'), Buffer.from('hello')]); // an unstamped (older) publication
    expect(() => sub.channels.get('p:t')!(wire, Buffer.from('p:t'))).not.toThrow();
    expect(() => sub.channels.get('p:t')!(Buffer.from([7]), Buffer.from('p:t'))).not.toThrow(); // garbage
    expect(() => sub.channels.get('p:\u0000sync')!(Buffer.from('{not json'), Buffer.from('p:\u0000sync'))).not.toThrow();
    expect([events, messages]).toEqual([2, 1]); // disconnected, reconnected; one message
    await broker.close();
  });
});

describe('RedisBroker across a Redis restart, nodes reconnecting on different schedules', () => {
  // Issue 12, finding 26: what the fast node published after reconnecting, before the slow one
  // had resubscribed, was lost with no gap event anywhere.
  it('every publication a node missed is reported by a gap event (sequence numbers per publisher)', async () => {
    const redis = await RedisProcess.start();
    cleanup.push(() => redis.kill());
    // A reconnects within ~50 ms of Redis coming back; B only ~2.5 s after losing it. Both
    // reconnect long after connectTimeoutMs: that bound is for connect() only.
    const a = await node({ url: redis.url, minBackoffMs: 20, maxBackoffMs: 50, connectTimeoutMs: 200 }, 'room');
    const b = await node({ url: redis.url, minBackoffMs: 2500, maxBackoffMs: 2500, connectTimeoutMs: 200 }, 'room');
    await sleep(100); // the SUBSCRIBEs are in place
    const sent: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing && i < 5000; i++) {
        a.hub.publish('room', `m${i}`);
        sent.push(`m${i}`);
        await sleep(4);
      }
    })();
    await until(() => b.got.length >= 20, 5000, 'delivery before the outage');
    await redis.kill();
    await sleep(300);
    await redis.restart();
    await until(() => a.events.some((e) => e.type === 'reconnected'), 5000, 'A reconnected');
    const atAReconnect = sent.length;
    await until(() => b.events.some((e) => e.type === 'reconnected'), 10_000, 'B reconnected');
    const atBReconnect = sent.length;
    await until(() => b.got.length > 0 && Number(b.got.at(-1)!.slice(1)) > atBReconnect + 20, 5000, 'delivery after B resubscribed');
    publishing = false;
    await publisher;
    await until(() => b.got.at(-1) === sent.at(-1), 5000, 'the last publication');

    const received = new Set(b.got);
    const missing = sent.filter((m) => !received.has(m));
    const failedAtA = a.events.filter((e) => e.type === 'gap' && e.side === 'publish').length;
    const reportedAtB = b.events.filter((e): e is Extract<BrokerEvent, { type: 'gap' }> => e.type === 'gap' && e.side === 'receive');
    // The skew happened: A published into Redis successfully while B was not subscribed yet.
    expect(atBReconnect - atAReconnect).toBeGreaterThan(20);
    expect(missing.length).toBeGreaterThan(failedAtA);
    // B reports every one it missed, naming A as the publisher; nothing is lost silently.
    expect(reportedAtB.reduce((n, e) => n + e.dropped, 0)).toBe(missing.length);
    expect(new Set(reportedAtB.map((e) => e.origin))).toEqual(new Set([a.hub.nodeId]));
    expect(reportedAtB.every((e) => e.topic === 'room')).toBe(true);
    // What did arrive came once each, in order; A itself (local delivery) got everything.
    expect(b.got).toEqual(sent.filter((m) => received.has(m)));
    await until(() => a.got.length === sent.length, 5000, 'local delivery');
    expect(a.got).toEqual(sent);
    expect(a.events.some((e) => e.type === 'gap' && e.side === 'receive')).toBe(false); // its own echoes are no gap
  }, 60_000);

  it('what a node missed after the last publication that reached it is reported too (beacons on request)', async () => {
    const redis = await RedisProcess.start();
    cleanup.push(() => redis.kill());
    const a = await node({ url: redis.url, minBackoffMs: 20, maxBackoffMs: 50 }, 'room');
    const b = await node({ url: redis.url, minBackoffMs: 2500, maxBackoffMs: 2500 }, 'room');
    await sleep(100);
    for (let i = 0; i < 10; i++) a.hub.publish('room', `before ${i}`);
    await until(() => b.got.length === 10, 5000, 'delivery before the outage');
    await redis.kill();
    await until(() => a.events.some((e) => e.type === 'disconnected'), 5000, 'A disconnected');
    for (let i = 0; i < 5; i++) a.hub.publish('room', `during ${i}`); // refused: A reports these itself
    await redis.restart();
    await until(() => a.events.some((e) => e.type === 'reconnected'), 5000, 'A reconnected');
    expect(b.events.some((e) => e.type === 'reconnected')).toBe(false); // B still waits out its backoff
    for (let i = 0; i < 50; i++) a.hub.publish('room', `after ${i}`); // taken by Redis, B not subscribed
    await sleep(50);
    // A publishes nothing more: B has no later publication to find the jump from.
    await until(() => b.events.some((e) => e.type === 'reconnected'), 10_000, 'B reconnected');
    const reported = () => b.events.reduce((n, e) => n + (e.type === 'gap' && e.side === 'receive' ? e.dropped : 0), 0);
    await until(() => reported() >= 55, 5000, `B reports the 55 it missed (${reported()} so far)`);
    await sleep(100);
    expect(reported()).toBe(55);
    expect(b.got).toEqual(Array.from({ length: 10 }, (_, i) => `before ${i}`));
    expect(a.events.filter((e) => e.type === 'gap' && e.side === 'publish')).toHaveLength(5);
  }, 30_000);

  it('close() settles while Redis is down (the hub\'s too)', async () => {
    const redis = await RedisProcess.start();
    cleanup.push(() => redis.kill());
    const a = await node({ url: redis.url, minBackoffMs: 20, maxBackoffMs: 50 }, 'room');
    await redis.kill();
    await until(() => a.events.some((e) => e.type === 'disconnected'), 5000, 'disconnected');
    // node-redis's own close() waits for a queue that cannot drain while disconnected.
    expect(await settledWithin(a.hub.close(), 5000)).toEqual({ value: undefined });
  }, 15_000);

  it('a topic subscribed while Redis is down is subscribed once it is back', async () => {
    const redis = await RedisProcess.start();
    cleanup.push(() => redis.kill());
    const a = await node({ url: redis.url, minBackoffMs: 20, maxBackoffMs: 50 }, 'room');
    const b = await node({ url: redis.url, minBackoffMs: 20, maxBackoffMs: 50 }, 'room');
    await redis.kill();
    await until(() => b.events.some((e) => e.type === 'disconnected'), 5000, 'B disconnected');
    b.hub.subscribe(b.conn, 'late'); // a client joins a new room during the outage
    await sleep(300); // several failed reconnection attempts meanwhile
    await redis.restart();
    await until(() => a.events.some((e) => e.type === 'reconnected') && b.events.some((e) => e.type === 'reconnected'), 5000, 'reconnection');
    for (let i = 0; !b.got.some((m) => m.startsWith('late')); i++) {
      if (i > 60) throw new Error('the room joined during the outage never received anything');
      a.hub.publish('late', `late ${i}`);
      await sleep(50);
    }
  }, 30_000);

  it('a topic left while Redis is down is not resubscribed once it is back', async () => {
    const redis = await RedisProcess.start();
    cleanup.push(() => redis.kill());
    const b = await node({ url: redis.url, minBackoffMs: 20, maxBackoffMs: 50 }, 'room');
    const { createClient } = await import('redis');
    const observer = createClient({ url: redis.url });
    observer.on('error', () => {});
    const subscribers = async () => Number((await observer.pubSubNumSub('wasmws:room'))['wasmws:room']);
    await sleep(100);
    await redis.kill();
    await until(() => b.events.some((e) => e.type === 'disconnected'), 5000, 'B disconnected');
    b.hub.unsubscribe(b.conn, 'room'); // its only client leaves the room during the outage
    await sleep(300);
    await redis.restart();
    await until(() => b.events.some((e) => e.type === 'reconnected'), 5000, 'reconnection');
    await observer.connect();
    cleanup.push(() => observer.close());
    await sleep(200);
    expect(await subscribers()).toBe(0);
  }, 30_000);
});
