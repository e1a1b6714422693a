/** A message as it travels between nodes. */
export interface BrokerMessage {
  /** The publishing node's id: a node skips its own messages (it delivered them locally). */
  origin: string;
  binary: boolean;
  data: Uint8Array;
}

/** What a broker reports about itself, for logs and metrics. */
export type BrokerEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; error?: Error }
  | { type: 'reconnected'; downMs: number }
  /** Messages published while the broker was unreachable: other nodes will not get them. */
  | { type: 'gap'; topic: string; dropped: number };

/**
 * Carries publications between nodes. The hub delivers to its own subscribers itself and
 * hands every publication to the broker for the others; the broker hands back what other
 * nodes published, for the topics this node has subscribers for.
 */
export interface Broker {
  /** Sends a publication to the other nodes (never throws: failures become 'gap' events). */
  publish(topic: string, message: BrokerMessage): void;
  /** Starts receiving other nodes' publications on `topic`. */
  subscribe(topic: string): void;
  /** Stops receiving them. */
  unsubscribe(topic: string): void;
  /** Where received publications go (set once, by the hub). */
  onMessage(handler: (topic: string, message: BrokerMessage) => void): void;
  /** Where events go. */
  onEvent(handler: (event: BrokerEvent) => void): void;
  /** Releases connections. */
  close(): Promise<void>;
}

/** The default broker: one node, nothing to carry. */
export class InMemoryBroker implements Broker {
  publish(): void {}
  subscribe(): void {}
  unsubscribe(): void {}
  onMessage(): void {}
  onEvent(): void {}
  async close(): Promise<void> {}
}
