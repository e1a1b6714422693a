import { WebSocketError } from '../errors';

/** A message as it travels between nodes. */
export interface BrokerMessage {
  /** The publishing node's id: a node skips its own messages (it delivered them locally). */
  origin: string;
  /** True for a binary message, false for text. */
  binary: boolean;
  /** The message's bytes (UTF-8 for text). */
  data: Uint8Array;
}

/** What a broker reports about itself, for logs and metrics. */
export type BrokerEvent =
  | {
    /** The broker reached its server. */
    type: 'connected';
  }
  | {
    /** The connection to the server was lost; publications meanwhile reach local subscribers only. */
    type: 'disconnected';
    /** Why, when known. */
    error?: Error;
  }
  | {
    /** The broker is connected again and has resubscribed. */
    type: 'reconnected';
    /** How long it was down, in milliseconds. */
    downMs: number;
  }
  /**
   * Publications on `topic` that may not have reached every node.
   * - side 'publish' (on the publishing node): a publication Redis did not take (broker
   *   unreachable); `dropped` counts them per topic since the last (re)connection.
   * - side 'receive' (on a receiving node): publications of node `origin` that never arrived
   *   here, found from its sequence numbers (e.g. published after that node reconnected but
   *   before this one had resubscribed); `dropped` is the number missing in this gap.
   */
  | {
    /** Publications may have been lost. */
    type: 'gap';
    /** The topic they were published on. */
    topic: string;
    /** How many. */
    dropped: number;
    /** Where the loss was seen: on the publisher, or on a receiver. */
    side: 'publish' | 'receive';
    /** The publishing node's id (side 'receive'). */
    origin?: string;
  };

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

/** A broker could not reach its server at start (e.g. RedisBroker.connect()); `cause` says why. */
export class BrokerUnreachableError extends WebSocketError {
  constructor(message: string, options?: ErrorOptions) {
    super('WS_ERR_BROKER_UNREACHABLE', message, options);
  }
}
