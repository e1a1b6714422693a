/** The part of a socket the outbox writes to (node:net Socket and tls.TLSSocket fit). */
export interface WritableSocket {
  /** `callback` runs once the socket no longer needs `data`. */
  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Holds writes back until uncork(), so that one turn goes out in one write. */
  cork(): void;
  /** Writes what was held since cork(). */
  uncork(): void;
  /** Bytes the socket holds, not yet written. */
  readonly writableLength: number;
  /** True when the socket is over its high-water mark (a `drain` will follow). */
  readonly writableNeedDrain: boolean;
  /** Called once, when the socket is writable again. */
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * A send resolves at once while the bytes waiting (this turn's frames plus the socket's own
 * buffer) stay under this and the socket does not need a drain: the README's
 * `for await (…) await conn.send(…)` then answers every message of one read in the same
 * turn, and the turn's frames still leave in one write. Past it, a send waits for the flush
 * (and the drain): that is the backpressure. One joined write's worth (flush-writes' JOIN_MAX_BYTES).
 */
export const SEND_HIGH_WATER_BYTES = 64 * 1024;

/** What every send under the high-water mark returns: settled already, shared, never rejected. */
export const SETTLED: Promise<void> = Promise.resolve();

function ignore(): void {}

/**
 * `promise`, marked as handled: a send nobody awaits (fire and forget, a broadcast loop)
 * must not become an unhandled rejection that ends the process when the connection goes.
 * Whoever awaits it still sees the rejection.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/** What a Writability asks its outbox. */
export interface FlushState {
  /** A flush is due at the end of this turn (it settles the waiters once it has written). */
  readonly isFlushScheduled: boolean;
}

/**
 * When a sender may go on (backpressure): one promise for all the sends of a turn, not one
 * each (a pipelining peer makes dozens per turn), settled once what was queued is with the
 * socket and the socket is under its high-water mark. Made by an outbox on first need.
 */
export class Writability {
  private waiting: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;
  private waitingForDrain = false;

  constructor(private readonly socket: WritableSocket, private readonly outbox: FlushState) {}

  /** See Outbox.whenWritable(); `readyBytes`: the bytes queued for the next flush. */
  when(readyBytes: number): Promise<void> {
    const socket = this.socket;
    if (!socket.writableNeedDrain && readyBytes + socket.writableLength <= SEND_HIGH_WATER_BYTES) return SETTLED;
    let waiting = this.waiting;
    if (waiting === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = handled(new Promise<void>((res, rej) => { resolve = res; reject = rej; }));
      waiting = this.waiting = { promise, resolve, reject };
    }
    if (!this.outbox.isFlushScheduled) this.settle(); // nothing queued: only the drain is awaited
    return waiting.promise;
  }

  /** Everything queued is with the socket: the waiters go on now, or at the socket's drain. */
  settle(): void {
    const waiting = this.waiting;
    if (waiting === null) return;
    if (!this.socket.writableNeedDrain) {
      this.waiting = null;
      waiting.resolve();
      return;
    }
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.socket.once('drain', () => {
      this.waitingForDrain = false;
      if (!this.outbox.isFlushScheduled) this.settle();
    });
  }

  /** The connection is gone: the waiters get `error`. */
  reject(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}
