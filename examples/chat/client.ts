// One chat participant: a read pump (messages in → hub) and a write pump (queue → socket),
// as in the seed's readPump/writePump goroutines, here two async loops.
import type { Conn } from '../../src/conn/connection';
import { isUnexpectedClose } from '../../src/errors';
import type { PreparedMessage } from '../../src/frame/prepared';
import { CloseCode } from '../../src/protocol/close-code';
import type { Hub } from './hub';

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

/** A connection's place in the hub: its bounded outgoing queue and its two pumps. */
export class ChatClient {
  private readonly queue: PreparedMessage[] = [];
  private wake: (() => void) | null = null;
  private done = false;

  constructor(private readonly hub: Hub, readonly conn: Conn, private readonly maxQueued: number) {}

  /** Runs both pumps until the connection closes. */
  async run(): Promise<void> {
    await Promise.all([this.readPump(), this.writePump()]);
  }

  /** Queues a broadcast; false when the queue is full (the client is stalled). */
  enqueue(message: PreparedMessage): boolean {
    if (this.done) return true;
    if (this.queue.length >= this.maxQueued) return false;
    this.queue.push(message);
    this.wake?.();
    return true;
  }

  /** Closes this client (slow, or the hub is stopping); resolves when it is closed. */
  async drop(code: number, reason: string): Promise<void> {
    this.stop();
    if (this.conn.readyState === 'open') await this.conn.close(code, reason).catch(() => {});
    await this.conn.closed;
  }

  /** Reads messages and hands them to the hub, newlines folded to spaces (the seed's TrimSpace). */
  private async readPump(): Promise<void> {
    try {
      for await (const message of this.conn) {
        const text = message.text().replace(/\n/g, ' ').trim();
        if (text) this.hub.broadcast(text);
      }
    } catch (err) {
      if (isUnexpectedClose(err, CloseCode.GoingAway, CloseCode.Abnormal, CloseCode.Normal, CloseCode.NoStatus)) {
        console.error(`chat: ${(err as Error).message}`);
      }
    } finally {
      this.stop();
    }
  }

  /**
   * Writes queued messages. One queued message goes out as its PreparedMessage (encoded once
   * for everyone); several are joined with newlines into one frame, as the seed's writePump
   * batches whatever is waiting. Awaiting each send is backpressure: a peer that does not read
   * stops this loop, its queue fills, and the hub drops it.
   */
  private async writePump(): Promise<void> {
    while (!this.done) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = null;
        continue;
      }
      const batch = this.queue.splice(0);
      try {
        if (batch.length === 1) await this.conn.send(batch[0]);
        else await this.conn.send(joinLines(batch), { binary: false });
      } catch {
        this.stop();
      }
    }
  }

  private stop(): void {
    this.done = true;
    this.queue.length = 0;
    this.wake?.();
  }
}
