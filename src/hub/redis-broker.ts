import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { WebSocketError } from '../errors';
import { BrokerUnreachableError, type Broker, type BrokerEvent, type BrokerMessage } from './broker';
import { PublishSequences, ReceiveSequences } from './sequences';
import { decodeSyncRequest, decodeWire, encodeBeacon, encodeWire } from './wire';

/** The part of a node-redis client (the `redis` package, v4 and later) the broker uses. */
export interface RedisClientLike {
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Publishes a message on a channel. */
  publish(channel: string, message: Buffer): Promise<unknown>;
  /** Subscribes to a channel, its messages given as bytes (buffer mode). */
  subscribe(channel: string, listener: (message: Uint8Array, channel: Uint8Array) => void, bufferMode: true): Promise<unknown>;
  /** Unsubscribes from a channel. */
  unsubscribe(channel: string): Promise<unknown>;
  /** Listens to the client's events (the broker uses `error` and `ready`). */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Closes gracefully (newer node-redis; preferred to quit()). */
  close?(): Promise<unknown>;
  /** Closes gracefully (older node-redis). */
  quit?(): Promise<unknown>;
  /** Drops the connection at once (connect() that failed: nothing to flush). */
  destroy?(): void;
  /** Closes at once, dropping queued commands. */
  disconnect?(): Promise<unknown>;
  /** True while connected and ready for commands. */
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
  /** Longest reconnection delay. Default 5,000 ms. */
  maxBackoffMs?: number;
  /**
   * How long connect() keeps trying before it rejects with a BrokerUnreachableError.
   * Default 5,000 ms. Once connected, reconnection goes on for as long as it takes.
   */
  connectTimeoutMs?: number;
}

/** Origins a node publishes under (its hub's id: one, unless several hubs share the broker). */
const MAX_OWN_ORIGINS = 16;
/** The channel (after the prefix) where a node that resubscribed asks for beacons: outside any topic's name in practice. */
const SYNC_CHANNEL = '\u0000sync';
/** Topics one sync request names at most. */
const MAX_SYNC_TOPICS = 10_000;

/**
 * Redis pub/sub as the hub's broker: one channel per topic, one publishing and one
 * subscribed connection per node.
 *
 * Guarantees: every node subscribed to a topic gets each publication once; publications
 * from one node arrive in the order it made them (Redis keeps per-connection order); bytes
 * and the text/binary flag survive exactly. Across a Redis outage delivery to other nodes is
 * at most once, and every loss seen is reported as a 'gap' event: what is published while
 * Redis is unreachable is dropped (side 'publish', on the publisher), never queued without
 * bound; what another node published and this one never got — e.g. after that node
 * reconnected, before this one had resubscribed — shows as a jump in that publisher's
 * sequence numbers for the topic (side 'receive', on the receiver, at the next publication
 * that does arrive, or at the beacon every publisher sends for the topic when this node asks
 * after resubscribing). Local delivery goes on, the clients reconnect with backoff and
 * resubscribe, and publishing resumes. Wire format: see wire.ts.
 */
export class RedisBroker implements Broker {
  private handler: (topic: string, message: BrokerMessage) => void = () => {};
  private events: (event: BrokerEvent) => void = () => {};
  private readonly prefix: string;
  /** Set once connect() succeeded: errors before that are connect()'s to report. */
  private connected = false;
  private downSince: number | null = null;
  private readonly dropped = new Map<string, number>();
  private readonly sequences = new PublishSequences();
  private readonly heard = new ReceiveSequences();
  private readonly ownOrigins = new Set<string>();
  /** Channels wanted (a topic's, the sync channel) with their listeners, and those whose SUBSCRIBE failed (node-redis forgets those). */
  private readonly channels = new Map<string, (raw: Uint8Array) => void>();
  private readonly resubscribe = new Set<string>();
  /** Channels left while disconnected: node-redis keeps them and resubscribes on reconnection. */
  private readonly unlisten = new Set<string>();
  private readonly topics = new Set<string>();
  /** Tells this node's own sync requests from others'. */
  private readonly id = randomBytes(8).toString('hex');

  private constructor(private readonly pub: RedisClientLike, private readonly sub: RedisClientLike, prefix: string) {
    this.prefix = prefix;
    for (const client of [pub, sub]) {
      client.on('error', (err) => this.down(err as Error)); // node-redis reconnects by itself
      client.on('ready', () => this.up());
    }
    sub.on('ready', () => this.retrySubscriptions());
    this.channels.set(prefix + SYNC_CHANNEL, (raw) => this.answerSync(raw));
    this.resubscribe.add(prefix + SYNC_CHANNEL); // on the first 'ready'
  }

  /**
   * Connects to Redis with the `redis` package (an optional peer dependency: install it to
   * scale out). Rejects with a BrokerUnreachableError if Redis cannot be reached within
   * `connectTimeoutMs` (retrying with backoff meanwhile).
   */
  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    let redis: { createClient(options: object): RedisClientLike };
    try {
      redis = await import('redis') as unknown as typeof redis;
    } catch {
      throw new Error('RedisBroker needs the `redis` package: npm i redis');
    }
    // A NaN here would never reach the deadline (connect() pending for ever) or retry in a tight loop.
    const minMs = milliseconds(options.minBackoffMs ?? 100, 'minBackoffMs');
    const maxMs = milliseconds(options.maxBackoffMs ?? 5000, 'maxBackoffMs');
    const timeoutMs = milliseconds(options.connectTimeoutMs ?? 5000, 'connectTimeoutMs');
    const deadline = Date.now() + timeoutMs;
    const state = { connected: false };
    const make = () => redis.createClient({
      url: options.url,
      disableOfflineQueue: true, // publish fails fast while disconnected: bounded memory, at-most-once
      socket: {
        connectTimeout: timeoutMs,
        // Before the first connection, give up at the deadline (connect() then rejects);
        // after it, retry for ever: an outage is reported, not fatal.
        reconnectStrategy: (retries: number) => {
          const delay = Math.min(minMs * 2 ** retries, maxMs);
          if (!state.connected && Date.now() + delay > deadline) return new BrokerUnreachableError('Redis unreachable');
          return delay;
        },
      },
    });
    let broker: RedisBroker;
    try {
      broker = await RedisBroker.fromClients(make(), make(), options.prefix, timeoutMs);
    } catch (err) {
      // The URL may hold credentials: name the host only.
      throw new BrokerUnreachableError(`Redis at ${hostOf(options.url)} not reachable within ${timeoutMs} ms`, { cause: (err as Error).cause ?? err });
    }
    state.connected = true;
    return broker;
  }

  /**
   * Builds a broker on two connectable node-redis clients (publisher, subscriber). Rejects
   * with a BrokerUnreachableError (and releases both) if they are not both connected within
   * `timeoutMs`.
   */
  static async fromClients(pub: RedisClientLike, sub: RedisClientLike, prefix = 'wasmws:', timeoutMs = 5000): Promise<RedisBroker> {
    const broker = new RedisBroker(pub, sub, prefix);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = [pub, sub].map((client) => attempt(() => client.connect()));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BrokerUnreachableError(`Redis not reachable within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(connecting), timeout]);
    } catch (err) {
      for (const client of [pub, sub]) release(client);
      throw err instanceof BrokerUnreachableError ? err : new BrokerUnreachableError(`Redis not reachable: ${(err as Error)?.message ?? err}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    broker.connected = true;
    return broker;
  }

  publish(topic: string, message: BrokerMessage): void {
    this.noteOwnOrigin(message.origin);
    const stamp = this.sequences.next(message.origin, topic); // taken even if this one fails: receivers see the loss too
    let wire: Buffer;
    try {
      wire = encodeWire(message.origin, message.binary, message.data, stamp);
    } catch {
      this.gap(topic);
      return;
    }
    attempt(() => this.pub.publish(this.prefix + topic, wire)).catch(() => this.gap(topic));
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
    this.channels.set(this.prefix + topic, (raw) => this.receive(topic, raw));
    this.listen(this.prefix + topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
    this.channels.delete(this.prefix + topic);
    this.resubscribe.delete(this.prefix + topic);
    this.heard.forget(topic);
    this.stopListening(this.prefix + topic);
  }

  onMessage(handler: (topic: string, message: BrokerMessage) => void): void {
    this.handler = handler;
  }

  onEvent(handler: (event: BrokerEvent) => void): void {
    this.events = handler;
  }

  /** Closes both connections: gracefully when connected (within 1 s), at once when not. */
  async close(): Promise<void> {
    await Promise.all([this.pub, this.sub].map((client) => closeClient(client)));
  }

  private listen(channel: string): void {
    this.resubscribe.delete(channel);
    this.unlisten.delete(channel);
    const listener = this.channels.get(channel);
    if (listener === undefined) return;
    attempt(() => this.sub.subscribe(channel, listener, true)).catch(() => {
      // Not connected, or the connection died before Redis confirmed: node-redis resubscribes
      // only confirmed channels when it reconnects, so this one is retried on 'ready'.
      if (this.channels.get(channel) === listener) this.resubscribe.add(channel);
    });
  }

  private receive(topic: string, raw: Uint8Array): void {
    if (!this.topics.has(topic)) return; // in flight when this node unsubscribed: not tracked, not delivered
    const message = decodeWire(raw);
    if (message === null) return; // not ours
    if (message.stamp !== undefined && !this.ownOrigins.has(message.origin)) {
      const missed = message.beacon
        ? this.heard.sync(topic, message.origin, message.stamp)
        : this.heard.check(topic, message.origin, message.stamp);
      if (missed > 0) this.emit({ type: 'gap', topic, dropped: missed, side: 'receive', origin: message.origin });
    }
    if (message.beacon) return;
    try {
      this.handler(topic, { origin: message.origin, binary: message.binary, data: message.data });
    } catch {
      // The handler's failure must not reach node-redis's parser (it would stop the connection).
    }
  }

  private stopListening(channel: string): void {
    this.unlisten.delete(channel);
    attempt(() => this.sub.unsubscribe(channel)).catch(() => {
      if (!this.channels.has(channel)) this.unlisten.add(channel); // retried on 'ready'
    });
  }

  private retrySubscriptions(): void {
    const wanted = [...this.resubscribe];
    const unwanted = [...this.unlisten];
    this.resubscribe.clear();
    this.unlisten.clear();
    for (const channel of wanted) this.listen(channel);
    for (const channel of unwanted) if (!this.channels.has(channel)) this.stopListening(channel);
  }

  /**
   * After a reconnection, asks every publisher for its last stamp on this node's topics: what
   * they published while this node was not subscribed, after the last publication that
   * reached it, shows as a gap at once instead of at their next publication (or never).
   */
  private requestSync(): void {
    if (this.topics.size === 0) return;
    const topics = [...this.topics].slice(0, MAX_SYNC_TOPICS);
    const request = Buffer.from(JSON.stringify({ from: this.id, topics }));
    attempt(() => this.pub.publish(this.prefix + SYNC_CHANNEL, request)).catch(() => {});
  }

  /** Another node asks: a beacon per topic it names that this node has published on. */
  private answerSync(raw: Uint8Array): void {
    const request = decodeSyncRequest(raw);
    if (request === null || request.from === this.id) return;
    for (const topic of request.topics.slice(0, MAX_SYNC_TOPICS)) {
      for (const origin of this.ownOrigins) {
        const stamp = this.sequences.last(origin, topic);
        const beacon = stamp && encodeBeacon(origin, stamp);
        if (beacon) attempt(() => this.pub.publish(this.prefix + topic, beacon)).catch(() => {});
      }
    }
  }

  private noteOwnOrigin(origin: string): void {
    if (this.ownOrigins.has(origin)) return;
    if (this.ownOrigins.size >= MAX_OWN_ORIGINS) this.ownOrigins.clear();
    this.ownOrigins.add(origin);
  }

  private gap(topic: string): void {
    const dropped = (this.dropped.get(topic) ?? 0) + 1;
    this.dropped.set(topic, dropped);
    this.emit({ type: 'gap', topic, dropped, side: 'publish' });
  }

  private emit(event: BrokerEvent): void {
    try {
      this.events(event);
    } catch {
      // A listener's failure is its own; it runs inside node-redis's event emitter.
    }
  }

  private down(error: Error): void {
    if (!this.connected || this.downSince !== null) return;
    this.downSince = Date.now();
    this.emit({ type: 'disconnected', error });
  }

  private up(): void {
    if (!this.pub.isReady || !this.sub.isReady) return;
    if (this.downSince === null) {
      this.emit({ type: 'connected' });
      return;
    }
    const downMs = Date.now() - this.downSince;
    this.downSince = null;
    this.dropped.clear();
    this.emit({ type: 'reconnected', downMs });
    this.requestSync();
  }
}

/** A duration option: a positive finite number of milliseconds, or a WS_ERR_INVALID_ARGUMENT. */
function milliseconds(value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `RedisBrokerOptions.${name} must be a positive number of milliseconds, not ${String(value)}`);
  }
  return value;
}

/** Runs a call that should return a promise; a synchronous throw becomes a rejection. */
function attempt(call: () => Promise<unknown> | undefined): Promise<unknown> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** How long close() lets a connected client flush before dropping it. */
const CLOSE_GRACE_MS = 1000;

/**
 * Closes a client. node-redis's close() waits for its queue to empty, which never happens
 * while it is disconnected (commands queued for the next connection): so a client that is
 * not ready is dropped at once, and a graceful close is bounded.
 */
async function closeClient(client: RedisClientLike): Promise<void> {
  if (!client.isReady) {
    release(client);
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceful = attempt(() => (client.close ?? client.quit)?.call(client)).then(() => true, () => true);
  const late = new Promise<false>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS, false); });
  const closed = await Promise.race([graceful, late]);
  clearTimeout(timer);
  if (!closed) release(client);
}

/** Drops a client at once (one that failed to connect, or is disconnected), whatever its API version; never throws. */
function release(client: RedisClientLike): void {
  try {
    if (client.destroy) client.destroy();
    else void client.disconnect?.().catch(() => {});
  } catch {
    // not connected at all: nothing to release
  }
}

/** host:port of a Redis URL, without credentials. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(bad URL)';
  }
}
