import type { Conn } from '../conn/connection';
import type { PreparedMessage } from '../frame/prepared';
import { OP_TEXT } from '../codec/constants';

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
 * A bounded queue of prepared messages and a write pump that drains it, awaiting each send
 * (backpressure). A peer that stops reading stops its own pump; its queue fills and the hub
 * drops it, without slowing anyone else. A send that fails (rejects or throws) stops the
 * pump and is reported to the hub through `onSendFailed`, which drops the subscriber
 * visibly: a subscriber that cannot deliver is never kept.
 */
export class Subscriber {
  readonly topics = new Set<string>();
  private readonly queue: PreparedMessage[] = [];
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(
    readonly conn: Conn,
    private readonly maxQueued: number,
    private readonly batchText: boolean,
    private readonly onSendFailed: (subscriber: Subscriber, error: unknown) => void,
  ) {
    void this.pump();
  }

  /** Queues a message; false when the queue is full or the pump has stopped (it cannot deliver). */
  offer(message: PreparedMessage): boolean {
    if (this.stopped || this.queue.length >= this.maxQueued) return false;
    this.queue.push(message);
    this.wake?.();
    return true;
  }

  /** Ends the pump; queued messages are dropped. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.wake?.();
  }

  /**
   * Sends queued messages in order. With `batchText`, several queued text messages go out
   * as one frame, newline-separated (the seed chat's writePump); otherwise each goes out as
   * its PreparedMessage, encoded once for every subscriber.
   */
  private async pump(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = null;
        continue;
      }
      try {
        // send() may also throw synchronously (a closing connection): caught here alike.
        if (this.batchText && this.queue.length > 1 && this.queue.every((m) => m.opcode === OP_TEXT)) {
          await this.conn.send(joinLines(this.queue.splice(0)), { binary: false });
        } else {
          await this.conn.send(this.queue.shift()!);
        }
      } catch (error) {
        if (this.stopped) return;
        this.stop();
        this.onSendFailed(this, error);
      }
    }
  }
}
