/** The events a WHATWG WebSocket dispatches (https://websockets.spec.whatwg.org/). */

/** What a close event carries (the HTML standard's CloseEventInit). */
export interface WebSocketCloseEventInit {
  /** The close code (default 0). */
  code?: number;
  /** The close reason (default ''). */
  reason?: string;
  /** Whether the close handshake completed (default false). */
  wasClean?: boolean;
}

/** The event a WebSocket fires when it closes (the standard's CloseEvent). */
export interface WebSocketCloseEvent extends Event {
  /** The close code received from the peer; 1005 for a close frame without one, 1006 for none. */
  readonly code: number;
  /** The close reason received from the peer, or ''. */
  readonly reason: string;
  /** True when the close handshake completed before TCP closed. */
  readonly wasClean: boolean;
}

/** The event a WebSocket fires per message (the standard's MessageEvent). */
export interface WebSocketMessageEvent extends Event {
  /** A string for text; an ArrayBuffer, Blob or Buffer for binary, per binaryType. */
  readonly data: unknown;
  /** The origin of the WebSocket's URL. */
  readonly origin: string;
}

/** Used where the runtime has no CloseEvent (Node before 23): an Event with the same fields. */
class FallbackCloseEvent extends Event implements WebSocketCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: WebSocketCloseEventInit = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** Used where the runtime has no MessageEvent: an Event with the fields a WebSocket sets. */
class FallbackMessageEvent extends Event implements WebSocketMessageEvent {
  readonly data: unknown;
  readonly origin: string;
  constructor(type: string, init: { data?: unknown; origin?: string } = {}) {
    super(type);
    this.data = init.data;
    this.origin = init.origin ?? '';
  }
}

const runtime = globalThis as {
  CloseEvent?: new (type: string, init?: WebSocketCloseEventInit) => WebSocketCloseEvent;
  MessageEvent?: new (type: string, init?: { data?: unknown; origin?: string }) => WebSocketMessageEvent;
};

/** The runtime's CloseEvent (Deno, Bun, Node 23+), or an Event subclass with the same fields. */
export const WebSocketCloseEvent: new (type: string, init?: WebSocketCloseEventInit) => WebSocketCloseEvent =
  typeof runtime.CloseEvent === 'function' ? runtime.CloseEvent : FallbackCloseEvent;

/** The runtime's MessageEvent (Node, Deno, Bun), or an Event subclass with the same fields. */
export const WebSocketMessageEvent: new (type: string, init?: { data?: unknown; origin?: string }) => WebSocketMessageEvent =
  typeof runtime.MessageEvent === 'function' ? runtime.MessageEvent : FallbackMessageEvent;
