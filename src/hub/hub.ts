import { randomBytes } from 'node:crypto';
import { OP_TEXT } from '../codec/constants';
import type { Conn } from '../conn/connection';
import { callListener } from '../conn/listener';
import { WebSocketError } from '../errors';
import { prepare, PreparedMessage } from '../frame/prepared';
import { CloseCode } from '../protocol/close-code';
import { InMemoryBroker, type Broker, type BrokerEvent, type BrokerMessage } from './broker';
import { Subscriber } from './subscriber';

/**
 * Calls a user callback; what it throws (or, async, rejects with) must not stop the hub (nor
 * the broker calling it): ignored by contract (HubOptions), a listener's failure is its own.
 */
function callSafely<T>(listener: ((value: T) => void) | undefined, value: T): void {
  if (listener) callListener(listener, [value], ignoreError);
}

function ignoreError(): void {}

/** Hub settings. */
export interface HubOptions {
  /** Carries publications to other nodes. Default: in memory (one node). */
  broker?: Broker;
  /** Messages queued per connection before it counts as stalled and is dropped with 1008. Default 256. */
  maxQueuedMessages?: number;
  /** Join several queued text messages into one newline-separated frame. Default false. */
  batchText?: boolean;
  /** Broker events: disconnections, reconnections, publications other nodes missed. A listener that throws is ignored. */
  onBrokerEvent?: (event: BrokerEvent) => void;
  /** A subscriber was dropped (its connection closed with 1008 or 1011). A listener that throws is ignored. */
  onDrop?: (event: HubDropEvent) => void;
}

/**
 * Why the hub dropped a subscriber. Never silent: the connection is closed with `code` and
 * this event is reported (`onDrop`).
 * - 'queue-full': it fell `maxQueuedMessages` behind (a peer that does not read): 1008.
 * - 'send-failed': a send rejected or threw while the connection was open (its pump cannot
 *   deliver any more): 1011, RFC 6455 §7.4.1 "an unexpected condition that prevented it from
 *   fulfilling the request".
 */
export interface HubDropEvent {
  /** The connection dropped; the hub has closed it. */
  conn: Conn;
  /** Why: its queue was full (it fell behind), or a send to it failed. */
  reason: 'queue-full' | 'send-failed';
  /** The close code it was closed with: 1008 for queue-full, 1011 for send-failed. */
  code: 1008 | 1011;
  /** The send's error ('send-failed'). */
  error?: unknown;
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
 * dropped with 1008, so one slow reader never slows the others; one whose send fails is
 * dropped with 1011 (`onDrop` reports both). Connections leave every topic when they close.
 * A connection has one subscriber record from its first subscribe() until it closes,
 * whatever topics it joins and leaves.
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
  private readonly onDrop: ((event: HubDropEvent) => void) | undefined;
  private readonly onBrokerEvent: ((event: BrokerEvent) => void) | undefined;
  private readonly onSendFailed = (subscriber: Subscriber, error: unknown) => this.drop(subscriber, 'send-failed', error);
  private closed = false;

  constructor(options: HubOptions = {}) {
    this.broker = options.broker ?? new InMemoryBroker();
    this.maxQueued = options.maxQueuedMessages ?? 256;
    // NaN would never count as full: one stalled reader could then queue without bound.
    if (!Number.isSafeInteger(this.maxQueued) || this.maxQueued < 1) {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `maxQueuedMessages must be a whole number of at least 1, not ${String(this.maxQueued)}`);
    }
    this.batchText = options.batchText ?? false;
    this.onDrop = options.onDrop;
    this.onBrokerEvent = options.onBrokerEvent;
    this.broker.onMessage((topic, message) => this.fromBroker(topic, message));
    this.broker.onEvent((event) => callSafely(this.onBrokerEvent, event));
  }

  /** Subscribes `conn` to `topic`. */
  subscribe(conn: Conn, topic: string): void {
    if (this.closed || conn.readyState !== 'open') return;
    let subscriber = this.subscribers.get(conn);
    if (subscriber === undefined) {
      // Once per connection: kept (topics or none) until it closes, so that room switches
      // add no record and no second `closed` reaction (issue 12, finding 20).
      subscriber = new Subscriber(conn, this.maxQueued, this.batchText, this.onSendFailed);
      this.subscribers.set(conn, subscriber);
      void conn.closed.then(() => this.remove(conn));
    }
    if (subscriber.topics.has(topic)) return;
    subscriber.topics.add(topic);
    let members = this.topicsByName.get(topic);
    if (members === undefined) {
      this.topicsByName.set(topic, (members = new Set()));
      this.brokerCall(() => this.broker.subscribe(topic));
    }
    members.add(subscriber);
  }

  /** Unsubscribes `conn` from `topic` (its record stays until it closes: see subscribe()). */
  unsubscribe(conn: Conn, topic: string): void {
    const subscriber = this.subscribers.get(conn);
    if (subscriber === undefined || !subscriber.topics.delete(topic)) return;
    this.leave(subscriber, topic);
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
    try {
      this.broker.publish(topic, { origin: this.nodeId, binary: message.opcode !== OP_TEXT, data: message.payload });
    } catch {
      // Broker's contract is to never throw; one that does has not carried this publication.
      callSafely(this.onBrokerEvent, { type: 'gap', topic, dropped: 1, side: 'publish' });
    }
  }

  /** Closes every subscribed connection with `code` (1001 if it may not be sent) and releases the broker. */
  async close(code: number = CloseCode.GoingAway, reason = 'hub closing'): Promise<void> {
    this.closed = true;
    const conns = [...this.subscribers.values()].filter((s) => s.topics.size > 0).map((s) => s.conn);
    for (const subscriber of this.subscribers.values()) subscriber.stop();
    await Promise.all(conns.map(async (conn) => {
      try {
        await conn.close(code, reason);
      } catch {
        await conn.close(CloseCode.GoingAway, 'hub closing'); // `code` or `reason` may not be sent
      }
    }));
    await this.broker.close();
  }

  private fromBroker(topic: string, message: BrokerMessage): void {
    if (this.closed || message.origin === this.nodeId) return; // own ones: delivered locally when published
    if (!(message.data instanceof Uint8Array)) return; // a broker handing over something that is not bytes
    let prepared: PreparedMessage;
    try {
      prepared = prepare(message.data, { binary: message.binary });
    } catch {
      return; // nothing deliverable
    }
    this.deliver(topic, prepared, undefined);
  }

  /** Runs a broker call that must not throw (Broker's contract); one that does anyway is ignored. */
  private brokerCall(call: () => void): void {
    try {
      call();
    } catch {
      // the broker's failure is its own
    }
  }

  private deliver(topic: string, message: PreparedMessage, except: Conn | undefined): void {
    const members = this.topicsByName.get(topic);
    if (members === undefined) return;
    for (const subscriber of members) {
      if (subscriber.conn === except) continue;
      if (!subscriber.offer(message)) this.drop(subscriber, 'queue-full', undefined);
    }
  }

  /**
   * A subscriber that cannot deliver: forget it, close its connection (1008 when it fell too
   * far behind, 1011 when a send failed) and report it. A connection already closing is
   * only forgotten: its close is the report.
   */
  private drop(subscriber: Subscriber, reason: HubDropEvent['reason'], error: unknown): void {
    const { conn } = subscriber;
    if (this.subscribers.get(conn) !== subscriber) return; // dropped or removed already
    this.remove(conn);
    if (conn.readyState !== 'open') return;
    const code = reason === 'queue-full' ? CloseCode.PolicyViolation : CloseCode.InternalError;
    try {
      void conn.close(code, reason === 'queue-full' ? 'too slow: send queue full' : 'send failed').catch(() => {});
    } catch {
      // close() threw at once: the connection is going anyway
    }
    callSafely(this.onDrop, { conn, reason, code, error });
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
      this.brokerCall(() => this.broker.unsubscribe(topic));
    }
  }
}
