import type { Message } from '../frame/message';
import { CloseCode } from '../protocol/close-code';
import type { Conn } from './connection';
import type { CloseInfo, ConnCore } from './core';
import { defer } from './defer';
import { HOLDER_CALLBACKS } from './flow-control';
import type { InboxConsumer } from './inbox';
import { SEND_HIGH_WATER_BYTES } from './outbox';

/**
 * A Bun.serve-style handler: the connection's events as callbacks, its messages handed over
 * straight from the frame reader — no promise, iterator result or queue entry per message,
 * which is what `for await` costs. Every rule of the Conn still holds (order with compressed
 * messages, UTF-8, limits, the close after every message). One that throws, or returns a
 * promise that rejects, fails the connection with 1011 and goes to `onHandlerError`; after
 * that only `close` is called.
 */
export interface CallbackHandler {
  /** The connection is open; called before any message. */
  open?(conn: Conn): void;
  /**
   * A message, in arrival order. A promise it returns is not awaited (the next message may
   * come first); its rejection is handled as a throw is. Keep `message` if you need it
   * later: its bytes are its own.
   */
  message(conn: Conn, message: Message): void | Promise<void>;
  /**
   * The connection's buffered amount has fallen back under the send high-water mark (the
   * level at which an awaited send() would wait) after a callback left it above: send more.
   * Past `maxReadBufferBytes` the connection also stops reading until then, as a Conn whose
   * unread messages fill its read buffer does: a peer that sends without reading its replies
   * cannot make the server queue without bound.
   */
  drain?(conn: Conn): void;
  /** The connection is closed, after every message received before the close was delivered. Called once. */
  close?(conn: Conn, info: CloseInfo): void;
}

/** What a callback that failed is reported to, with its error. */
export type HandlerErrorListener = (error: unknown, conn: Conn) => void;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/**
 * The inbox's consumer for one connection with a callback handler: calls the handler,
 * catches what it throws or rejects, and applies backpressure (`drain` once the outbox is
 * back under its high-water mark; reading paused meanwhile past the read buffer's size).
 */
class CallbackDelivery implements InboxConsumer {
  /** A callback failed (or the connection ended): no more messages to the handler. */
  private stopped = false;
  private closeCalled = false;
  private waitingForRoom = false;
  private pausedReading = false;
  private readonly failed: (error: unknown) => void;
  private readonly roomCheck: () => void;

  constructor(
    private readonly conn: Conn,
    private readonly core: ConnCore,
    private readonly handler: CallbackHandler,
    private readonly onHandlerError: HandlerErrorListener,
  ) {
    this.failed = (error) => this.fail(error);
    this.roomCheck = () => this.checkRoom();
  }

  start(): void {
    const { handler, conn } = this;
    this.core.inbox.consume(this, handler.open && (() => {
      try {
        const result: unknown = handler.open!(conn);
        if (isThenable(result)) result.then(undefined, this.failed);
      } catch (error) {
        this.fail(error);
      }
      this.afterCallback();
    }));
  }

  message(message: Message): void {
    if (this.stopped) return;
    try {
      const result: unknown = this.handler.message(this.conn, message);
      if (result !== undefined && isThenable(result)) result.then(undefined, this.failed);
    } catch (error) {
      this.fail(error);
    }
    this.afterCallback();
  }

  end(): void {
    this.stopped = true;
    // The inbox has handed over everything before the close; the close info comes when TCP is done.
    void this.core.closed.then((info) => this.callClose(info));
  }

  /** 1011 and onHandlerError, as for a serve() handler that throws; then only `close` is called. */
  private fail(error: unknown): void {
    const first = !this.stopped;
    this.stopped = true;
    if (this.conn.readyState === 'open') this.conn.close(CloseCode.InternalError, 'handler failed').catch(() => {});
    if (first) void this.core.closed.then((info) => this.callClose(info));
    this.report(error);
  }

  private callClose(info: CloseInfo): void {
    if (this.closeCalled) return;
    this.closeCalled = true;
    const close = this.handler.close;
    if (!close) return;
    // The connection is closed already: a failing close callback can only be reported.
    try {
      const result: unknown = close.call(this.handler, this.conn, info);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.report(error));
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.onHandlerError(error, this.conn);
    } catch { /* what onHandlerError throws is ignored */ }
  }

  /**
   * After each callback: over the high-water mark, wait until the bytes are written (the
   * outbox flushes at the end of the turn, then the socket drains), then `drain`; past the
   * read buffer's size, stop reading meanwhile. (Not at the high-water mark itself: pausing
   * on every large reply leaves the peer's TCP window shut, and its zero-window probes back
   * off to seconds — measured: request/response at 1 MiB stalled for whole 2 s windows.)
   */
  private afterCallback(): void {
    if (!this.overHighWater()) return;
    if (!this.pausedReading && this.core.bufferedAmount > this.core.inbox.limitBytes) {
      this.pausedReading = true;
      this.core.pauseReading(HOLDER_CALLBACKS);
    }
    if (this.waitingForRoom) return;
    this.waitingForRoom = true;
    defer(this.roomCheck);
  }

  private overHighWater(): boolean {
    return this.core.bufferedAmount > SEND_HIGH_WATER_BYTES || this.core.socket.writableNeedDrain;
  }

  private checkRoom(): void {
    if (this.core.readyState === 'closed') return;
    if (this.overHighWater()) {
      // Written but not drained: wait for the socket; still queued here: for the next flush.
      if (this.core.socket.writableNeedDrain) this.core.socket.once('drain', this.roomCheck);
      else defer(this.roomCheck);
      return;
    }
    this.waitingForRoom = false;
    if (this.pausedReading) {
      this.pausedReading = false;
      this.core.resumeReading(HOLDER_CALLBACKS);
    }
    const drain = this.handler.drain;
    if (!drain || this.stopped) return;
    try {
      const result: unknown = drain.call(this.handler, this.conn);
      if (isThenable(result)) result.then(undefined, this.failed);
    } catch (error) {
      this.fail(error);
    }
    this.afterCallback();
  }
}

/** @internal Hands `core`'s messages to `handler` from now on (see CallbackHandler). */
export function deliverToCallbacks(conn: Conn, core: ConnCore, handler: CallbackHandler, onHandlerError: HandlerErrorListener): void {
  new CallbackDelivery(conn, core, handler, onHandlerError).start();
}
