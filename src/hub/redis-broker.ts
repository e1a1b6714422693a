import { Buffer } from 'node:buffer';
import type { Broker, BrokerEvent, BrokerMessage } from './broker';

/** The part of a node-redis client (the `redis` package, v4 and later) the broker uses. */
export interface RedisClientLike {
  connect(): Promise<unknown>;
  publish(channel: string, message: Buffer): Promise<unknown>;
  subscribe(channel: string, listener: (message: Uint8Array, channel: Uint8Array) => void, bufferMode: true): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  readonly isReady: boolean;
}

/** Options of RedisBroker.connect(). */
export interface RedisBrokerOptions {
  /** redis://host:port (with credentials if needed). */
  url: string;
  /** Channel prefix, so several hubs can share one Redis. Default 'wasmws:'. */
  prefix?: string;
  /** Reconnection backoff: first and longest delay. Default 100 ms to 5 s, doubling. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Redis pub/sub as the hub's broker: one channel per topic, one publishing and one
 * subscribed connection per node.
 *
 * Guarantees: every node subscribed to a topic gets each publication once; publications
 * from one node arrive in the order it made them (Redis keeps per-connection order); bytes
 * and the text/binary flag survive exactly. Across a Redis outage delivery to other nodes is
 * at most once: what is published while Redis is unreachable is dropped (and reported as a
 * 'gap' event), never queued without bound; local delivery goes on, the clients reconnect
 * with backoff and resubscribe, and publishing resumes.
 *
 *   wire: [flags: 1 byte, bit 0 = binary][origin length: 1 byte][origin][payload]
 */
export class RedisBroker implements Broker {
  private handler: (topic: string, message: BrokerMessage) => void = () => {};
  private events: (event: BrokerEvent) => void = () => {};
  private readonly prefix: string;
  private downSince: number | null = null;
  private readonly dropped = new Map<string, number>();

  private constructor(private readonly pub: RedisClientLike, private readonly sub: RedisClientLike, prefix: string) {
    this.prefix = prefix;
    for (const client of [pub, sub]) {
      client.on('error', (err) => this.down(err as Error)); // node-redis reconnects by itself
      client.on('ready', () => this.up());
    }
  }

  /**
   * Connects to Redis with the `redis` package (an optional peer dependency: install it to
   * scale out). Rejects if Redis cannot be reached at start.
   */
  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    let redis: { createClient(options: object): RedisClientLike };
    try {
      redis = await import('redis') as unknown as typeof redis;
    } catch {
      throw new Error('RedisBroker needs the `redis` package: npm i redis');
    }
    const minMs = options.minBackoffMs ?? 100;
    const maxMs = options.maxBackoffMs ?? 5000;
    const make = () => redis.createClient({
      url: options.url,
      disableOfflineQueue: true, // publish fails fast while disconnected: bounded memory, at-most-once
      socket: { reconnectStrategy: (retries: number) => Math.min(minMs * 2 ** retries, maxMs) },
    });
    return RedisBroker.fromClients(make(), make(), options.prefix);
  }

  /** Builds a broker on two connected-or-connectable node-redis clients (publisher, subscriber). */
  static async fromClients(pub: RedisClientLike, sub: RedisClientLike, prefix = 'wasmws:'): Promise<RedisBroker> {
    const broker = new RedisBroker(pub, sub, prefix);
    await Promise.all([pub.connect(), sub.connect()]);
    return broker;
  }

  publish(topic: string, message: BrokerMessage): void {
    const origin = new TextEncoder().encode(message.origin);
    // node-redis takes strings or Buffers only (a plain Uint8Array throws inside it).
    const wire = Buffer.allocUnsafe(2 + origin.length + message.data.length);
    wire[0] = message.binary ? 1 : 0;
    wire[1] = origin.length;
    wire.set(origin, 2);
    wire.set(message.data, 2 + origin.length);
    this.pub.publish(this.prefix + topic, wire).catch(() => this.gap(topic));
  }

  subscribe(topic: string): void {
    this.sub.subscribe(this.prefix + topic, (raw) => this.receive(topic, raw), true).catch(() => {
      // Not connected now: node-redis resubscribes its channels when it reconnects.
    });
  }

  unsubscribe(topic: string): void {
    this.sub.unsubscribe(this.prefix + topic).catch(() => {});
  }

  onMessage(handler: (topic: string, message: BrokerMessage) => void): void {
    this.handler = handler;
  }

  onEvent(handler: (event: BrokerEvent) => void): void {
    this.events = handler;
  }

  async close(): Promise<void> {
    await Promise.all([this.pub, this.sub].map((c) => (c.close ?? c.quit)?.call(c).catch(() => {})));
  }

  private receive(topic: string, raw: Uint8Array): void {
    if (raw.length < 2 || raw.length < 2 + raw[1]) return; // not ours
    const origin = new TextDecoder().decode(raw.subarray(2, 2 + raw[1]));
    this.handler(topic, { origin, binary: (raw[0] & 1) === 1, data: raw.subarray(2 + raw[1]) });
  }

  private gap(topic: string): void {
    this.dropped.set(topic, (this.dropped.get(topic) ?? 0) + 1);
    this.events({ type: 'gap', topic, dropped: this.dropped.get(topic)! });
  }

  private down(error: Error): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.events({ type: 'disconnected', error });
  }

  private up(): void {
    if (!this.pub.isReady || !this.sub.isReady) return;
    if (this.downSince === null) {
      this.events({ type: 'connected' });
      return;
    }
    const downMs = Date.now() - this.downSince;
    this.downSince = null;
    this.dropped.clear();
    this.events({ type: 'reconnected', downMs });
  }
}
