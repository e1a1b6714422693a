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
 * One connection's side of a hub: a bounded queue of prepared messages and a write pump
 * that drains it, awaiting each send (backpressure). A peer that stops reading stops its
 * own pump; its queue fills and the hub drops it, without slowing anyone else.
 */
export class Subscriber {
  readonly topics = new Set<string>();
  private readonly queue: PreparedMessage[] = [];
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(readonly conn: Conn, private readonly maxQueued: number, private readonly batchText: boolean) {
    void this.pump();
  }

  /** Queues a message; false when the queue is full (the subscriber is stalled). */
  offer(message: PreparedMessage): boolean {
    if (this.stopped) return true;
    if (this.queue.length >= this.maxQueued) return false;
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
        if (this.batchText && this.queue.length > 1 && this.queue.every((m) => m.opcode === OP_TEXT)) {
          await this.conn.send(joinLines(this.queue.splice(0)), { binary: false });
        } else {
          await this.conn.send(this.queue.shift()!);
        }
      } catch {
        this.stop(); // the connection is closing; the hub removes us on close
      }
    }
  }
}
