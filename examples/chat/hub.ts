// The seed's chat hub, as TypeScript: clients register and unregister, every message is
// broadcast to every client, and a client too slow to keep up is dropped (the seed's
// `default:` branch) without slowing anyone else. See README "The chat demo".
import type { Conn } from '../../src/conn/connection';
import { prepare, type PreparedMessage } from '../../src/frame/prepared';
import { CloseCode } from '../../src/protocol/close-code';
import { ChatClient } from './client';

/** Hub settings; the defaults are the seed's. */
export interface HubOptions {
  /** Messages a client may have queued before it counts as stalled (the seed's `make(chan []byte, 256)`). */
  maxQueuedMessages?: number;
}

/** Maintains the set of active clients and broadcasts messages to them. */
export class Hub {
  private readonly clients = new Set<ChatClient>();
  private readonly maxQueuedMessages: number;
  private stopped = false;

  constructor(options: HubOptions = {}) {
    this.maxQueuedMessages = options.maxQueuedMessages ?? 256;
  }

  /** Registers a connection and runs its read and write pumps until it closes. */
  async serve(conn: Conn): Promise<void> {
    if (this.stopped) {
      await conn.close(CloseCode.GoingAway, 'chat is shutting down').catch(() => {});
      return;
    }
    const client = new ChatClient(this, conn, this.maxQueuedMessages);
    this.clients.add(client);
    try {
      await client.run();
    } finally {
      this.unregister(client);
    }
  }

  /** Removes a client (its pumps end when its connection closes). */
  unregister(client: ChatClient): void {
    this.clients.delete(client);
  }

  /**
   * Sends `text` to every client. It is encoded once (a PreparedMessage) and queued per
   * client; a client whose queue is full is dropped with 1008 on the spot.
   */
  broadcast(text: string): void {
    const message: PreparedMessage = prepare(text);
    for (const client of this.clients) {
      if (!client.enqueue(message)) {
        this.clients.delete(client);
        client.drop(CloseCode.PolicyViolation, 'too slow: send queue full');
      }
    }
  }

  /** Clients connected now. */
  get size(): number {
    return this.clients.size;
  }

  /** Closes every client with 1001 and refuses new ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    const closing = [...this.clients].map((client) => client.drop(CloseCode.GoingAway, 'chat is shutting down'));
    this.clients.clear();
    await Promise.all(closing);
  }
}
