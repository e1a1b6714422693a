import type { Conn } from '../conn/connection';
import type { PreparedMessage } from '../frame/prepared';
import { OP_TEXT } from '../codec/constants';
import { SETTLED } from '../conn/outbox';

/** The payloads of several text messages as one, separated by newlines. */
function joinLines(messages: PreparedMessage[]): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + m.payload.length + 1, -1));
  let at = 0;
  for (const m of messages) {
    if (at > 0) out[at++] = 0x0a;
    out.set(m.payload, at);
    at += m.payload.length;
  }
  return out;
}

/**
 * One connection's side of a hub, kept for the connection's whole life whatever its topics
 * (one record per connection: switching rooms allocates nothing that outlives the switch).
 * A bounded queue of prepared messages, each sent once the send before it has resolved
 * (backpressure). With nothing in flight a message is sent at once, from offer(): a
 * publication costs each subscriber one send, and a reaction only when the send has to wait
 * for the socket; no pump to wake. A
 * peer that stops reading leaves its send unresolved; its queue fills and the hub drops it,
 * without slowing anyone else. A send that fails (rejects or throws) stops the subscriber
 * and is reported to the hub through `onSendFailed`, which drops it visibly: a subscriber
 * that cannot deliver is never kept.
 */
export class Subscriber {
  readonly topics = new Set<string>();
  /** Messages behind the one in flight; made when the first has to wait. */
  private queue: PreparedMessage[] | null = null;
  /** A send has not resolved yet (or, with batchText, a batch is about to be sent). */
  private busy = false;
  private stopped = false;
  /** The reactions to every send: made once per subscriber, not per message. */
  private readonly onSent = (): void => this.sendNext();
  private readonly onFailed = (error: unknown): void => this.failed(error);

  constructor(
    readonly conn: Conn,
    private readonly maxQueued: number,
    private readonly batchText: boolean,
    private readonly onSendFailed: (subscriber: Subscriber, error: unknown) => void,
  ) {}

  /** Queues a message; false when the queue is full or the subscriber has stopped (it cannot deliver). */
  offer(message: PreparedMessage): boolean {
    if (this.stopped) return false;
    if (!this.busy && !this.batchText) {
      this.send(message);
      return true;
    }
    const queue = (this.queue ??= []);
    if (queue.length >= this.maxQueued) return false;
    queue.push(message);
    if (!this.busy) {
      // batchText: the batch is what this turn's synchronous publications queued, as a
      // pump woken by the first of them would have found it.
      this.busy = true;
      queueMicrotask(this.onSent);
    }
    return true;
  }

  /** Stops sending; queued messages are dropped. */
  stop(): void {
    this.stopped = true;
    this.queue = null;
  }

  private send(data: PreparedMessage | Uint8Array): void {
    this.busy = true;
    let sent: Promise<void>;
    try {
      // send() may also throw synchronously (a closing connection): a failure alike.
      sent = data instanceof Uint8Array ? this.conn.send(data, { binary: false }) : this.conn.send(data);
    } catch (error) {
      this.failed(error);
      return;
    }
    // Under the connection's high-water mark send() returns the outbox's shared settled
    // promise: the next message may go at once, with no reaction to wait for.
    if (sent === SETTLED) this.busy = false;
    else sent.then(this.onSent, this.onFailed);
  }

  /**
   * The send in flight resolved: the next queued message goes. With `batchText`, several
   * queued text messages go out as one frame, newline-separated (the seed chat's
   * writePump); otherwise each goes as its PreparedMessage, encoded once for every subscriber.
   */
  private sendNext(): void {
    this.busy = false;
    // Sends that settle at once (under the high-water mark) let the next one go in the same pass.
    while (!this.busy && !this.stopped) {
      const queue = this.queue;
      if (queue === null || queue.length === 0) return;
      if (this.batchText && queue.length > 1 && queue.every((m) => m.opcode === OP_TEXT)) this.send(joinLines(queue.splice(0)));
      else this.send(queue.shift()!);
    }
  }

  private failed(error: unknown): void {
    this.busy = false;
    if (this.stopped) return;
    this.stop();
    this.onSendFailed(this, error);
  }
}
