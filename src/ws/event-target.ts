// ws's EventTarget layer over the EventEmitter: addEventListener/removeEventListener and the
// onopen/onmessage/onerror/onclose properties, with event objects shaped as ws makes them.
import type { EventEmitter } from 'node:events';

const kListener = Symbol('wasmws.ws.listener');
const kAttribute = Symbol('wasmws.ws.attribute');

/** The base of the events addEventListener listeners receive. */
export class WsEvent {
  /** The socket the event is about. */
  target: unknown = null;
  /** @param type The event's name: `open`, `message`, `error` or `close`. */
  constructor(readonly type: string) {}
}

/** A 'message' event: `data` is a string for text, else as binaryType says. */
export class WsMessageEvent extends WsEvent {
  /**
   * @param type The event's name.
   * @param data The message, as `binaryType` says (text as a string).
   */
  constructor(type: string, readonly data: unknown) {
    super(type);
  }
}

/** A 'close' event. */
export class WsCloseEvent extends WsEvent {
  /**
   * @param type The event's name.
   * @param code The close code.
   * @param reason The close reason.
   * @param wasClean True when both close frames were exchanged.
   */
  constructor(type: string, readonly code: number, readonly reason: string, readonly wasClean: boolean) {
    super(type);
  }
}

/** An 'error' event. */
export class WsErrorEvent extends WsEvent {
  /** The error's message. */
  readonly message: string;
  /**
   * @param type The event's name.
   * @param error The error.
   */
  constructor(type: string, readonly error: Error) {
    super(type);
    this.message = error?.message ?? '';
  }
}

const EVENT_TYPES = new Set(['open', 'message', 'close', 'error']);

type Handler = ((event: WsEvent) => unknown) | { handleEvent(event: WsEvent): unknown };
type Wrapper = ((...args: unknown[]) => void) & { [kListener]?: Handler; [kAttribute]?: boolean };

/** What the close event needs to know about the socket. */
export interface CloseState {
  readonly wasClean: boolean;
}

function makeEvent(target: CloseState, type: string, args: unknown[]): WsEvent | undefined {
  let event: WsEvent;
  if (type === 'message') event = new WsMessageEvent('message', args[1] ? args[0] : String(args[0]));
  else if (type === 'close') event = new WsCloseEvent('close', args[0] as number, String(args[1] ?? ''), target.wasClean);
  else if (type === 'error') event = new WsErrorEvent('error', args[0] as Error);
  else if (type === 'open') event = new WsEvent('open');
  else return undefined;
  event.target = target;
  return event;
}

/** ws's addEventListener: only open/message/close/error; a handler is added once. */
export function addEventListener(emitter: EventEmitter & CloseState, type: string, handler: Handler, options: { once?: boolean; [kAttribute]?: boolean } = {}): void {
  if (typeof handler !== 'function' && typeof (handler as { handleEvent?: unknown })?.handleEvent !== 'function') return;
  const attribute = options[kAttribute] === true;
  if (!attribute) {
    for (const listener of emitter.listeners(type) as Wrapper[]) {
      if (listener[kListener] === handler && !listener[kAttribute]) return;
    }
  }
  if (!EVENT_TYPES.has(type)) return;
  const wrapper: Wrapper = function (this: unknown, ...args: unknown[]) {
    const event = makeEvent(emitter, type, args)!;
    if (typeof handler === 'function') handler.call(emitter, event);
    else handler.handleEvent(event);
  };
  wrapper[kListener] = handler;
  wrapper[kAttribute] = attribute;
  if (options.once) emitter.once(type, wrapper);
  else emitter.on(type, wrapper);
}

/** Removes a listener added with addEventListener (not an on* property's). */
export function removeEventListener(emitter: EventEmitter, type: string, handler: Handler): void {
  for (const listener of emitter.listeners(type) as Wrapper[]) {
    if (listener[kListener] === handler && !listener[kAttribute]) {
      emitter.removeListener(type, listener);
      return;
    }
  }
}

/** The handler an on* property holds, or null. */
export function getAttribute(emitter: EventEmitter, type: string): Handler | null {
  for (const listener of emitter.listeners(type) as Wrapper[]) {
    if (listener[kAttribute]) return listener[kListener] ?? null;
  }
  return null;
}

/** Sets an on* property: replaces the previous handler; a non-function clears it. */
export function setAttribute(emitter: EventEmitter & CloseState, type: string, handler: unknown): void {
  for (const listener of emitter.listeners(type) as Wrapper[]) {
    if (listener[kAttribute]) {
      emitter.removeListener(type, listener);
      break;
    }
  }
  if (typeof handler !== 'function') return;
  addEventListener(emitter, type, handler as Handler, { [kAttribute]: true });
}
