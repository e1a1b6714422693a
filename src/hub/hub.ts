import { randomBytes } from 'node:crypto';
import { OP_TEXT } from '../codec/constants';
import type { Conn } from '../conn/connection';
import { prepare, PreparedMessage } from '../frame/prepared';
import { CloseCode } from '../protocol/close-code';
import { InMemoryBroker, type Broker, type BrokerEvent, type BrokerMessage } from './broker';
import { Subscriber } from './subscriber';

/** Hub settings. */
export interface HubOptions {
  /** Carries publications to other nodes. Default: in memory (one node). */
  broker?: Broker;
  /** Messages queued per connection before it counts as stalled and is dropped with 1008. Default 256. */
  maxQueuedMessages?: number;
  /** Join several queued text messages into one newline-separated frame. Default false. */
  batchText?: boolean;
  /** Broker events: disconnections, reconnections, publications other nodes missed. */
  onBrokerEvent?: (event: BrokerEvent) => void;
}

/** Options of publish(). */
export interface PublishOptions {
  /** A connection that should not receive this publication (typically its sender). */
  except?: Conn;
  /** Strings are text unless `binary`; bytes binary unless `binary: false`. */
  binary?: boolean;
}

/**
 * Topics for connections: subscribe, unsubscribe, publish (uWebSockets' and Bun's
 * pub/sub), across processes and machines when given a broker (RedisBroker).
 *
 * A publication is encoded once (a PreparedMessage, compressed once per parameter set
 * without context takeover) and queued per subscriber; a subscriber whose queue is full is
 * dropped with 1008, so one slow reader never slows the others. Connections leave every
 * topic when they close.
 *
 *     node A ─┐                        ┌─ node B
 *   publish ──┼─► local subscribers    │
 *             └─► broker ─────────────►├─► local subscribers (not back to A)
 */
export class Hub {
  /** This node's id, carried with its publications so that it can skip its own. */
  readonly nodeId = randomBytes(8).toString('hex');
  private readonly topicsByName = new Map<string, Set<Subscriber>>();
  private readonly subscribers = new Map<Conn, Subscriber>();
  private readonly broker: Broker;
  private readonly maxQueued: number;
  private readonly batchText: boolean;
  private closed = false;

  constructor(options: HubOptions = {}) {
    this.broker = options.broker ?? new InMemoryBroker();
    this.maxQueued = options.maxQueuedMessages ?? 256;
    this.batchText = options.batchText ?? false;
    this.broker.onMessage((topic, message) => this.fromBroker(topic, message));
    this.broker.onEvent((event) => options.onBrokerEvent?.(event));
  }

  /** Subscribes `conn` to `topic`. */
  subscribe(conn: Conn, topic: string): void {
    if (this.closed || conn.readyState !== 'open') return;
    let subscriber = this.subscribers.get(conn);
    if (subscriber === undefined) {
      subscriber = new Subscriber(conn, this.maxQueued, this.batchText);
      this.subscribers.set(conn, subscriber);
      void conn.closed.then(() => this.remove(conn));
    }
    subscriber.topics.add(topic);
    let members = this.topicsByName.get(topic);
    if (members === undefined) {
      this.topicsByName.set(topic, (members = new Set()));
      this.broker.subscribe(topic);
    }
    members.add(subscriber);
  }

  /** Unsubscribes `conn` from `topic`. */
  unsubscribe(conn: Conn, topic: string): void {
    const subscriber = this.subscribers.get(conn);
    if (subscriber === undefined || !subscriber.topics.delete(topic)) return;
    this.leave(subscriber, topic);
    if (subscriber.topics.size === 0) {
      subscriber.stop();
      this.subscribers.delete(conn);
    }
  }

  /** The topics `conn` is subscribed to. */
  topics(conn: Conn): string[] {
    return [...(this.subscribers.get(conn)?.topics ?? [])];
  }

  /** Local subscribers of `topic` now. */
  subscriberCount(topic: string): number {
    return this.topicsByName.get(topic)?.size ?? 0;
  }

  /** Sends `data` to every subscriber of `topic`, on this node and, through the broker, on every other. */
  publish(topic: string, data: string | Uint8Array | PreparedMessage, options: PublishOptions = {}): void {
    if (this.closed) return;
    const message = data instanceof PreparedMessage ? data : prepare(data, { binary: options.binary });
    this.deliver(topic, message, options.except);
    this.broker.publish(topic, { origin: this.nodeId, binary: message.opcode !== OP_TEXT, data: message.payload });
  }

  /** Closes every subscribed connection with `code` and releases the broker. */
  async close(code: number = CloseCode.GoingAway, reason = 'hub closing'): Promise<void> {
    this.closed = true;
    const conns = [...this.subscribers.keys()];
    for (const subscriber of this.subscribers.values()) subscriber.stop();
    await Promise.all(conns.map((conn) => conn.close(code, reason).catch(() => conn.closed)));
    await this.broker.close();
  }

  private fromBroker(topic: string, message: BrokerMessage): void {
    if (message.origin === this.nodeId) return; // delivered locally when published
    this.deliver(topic, prepare(message.data, { binary: message.binary }), undefined);
  }

  private deliver(topic: string, message: PreparedMessage, except: Conn | undefined): void {
    const members = this.topicsByName.get(topic);
    if (members === undefined) return;
    for (const subscriber of members) {
      if (subscriber.conn === except) continue;
      if (!subscriber.offer(message)) this.drop(subscriber);
    }
  }

  /** A subscriber fell too far behind: close it with 1008 and forget it. */
  private drop(subscriber: Subscriber): void {
    this.remove(subscriber.conn);
    if (subscriber.conn.readyState === 'open') void subscriber.conn.close(CloseCode.PolicyViolation, 'too slow: send queue full').catch(() => {});
  }

  private remove(conn: Conn): void {
    const subscriber = this.subscribers.get(conn);
    if (subscriber === undefined) return;
    this.subscribers.delete(conn);
    subscriber.stop();
    for (const topic of subscriber.topics) this.leave(subscriber, topic);
  }

  private leave(subscriber: Subscriber, topic: string): void {
    const members = this.topicsByName.get(topic);
    if (members === undefined) return;
    members.delete(subscriber);
    if (members.size === 0) {
      this.topicsByName.delete(topic);
      this.broker.unsubscribe(topic);
    }
  }
}
