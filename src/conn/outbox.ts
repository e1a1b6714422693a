import { AlreadyClosedError } from '../errors';
import { isPooledOutput, takeOutput, writePool } from '../frame/write-pool';
import { defer } from './defer';

/** The part of a socket the outbox writes to (node:net Socket and tls.TLSSocket fit). */
export interface WritableSocket {
  /** `callback` runs once the socket no longer needs `data`. */
  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Pongs waiting at most; older ones are dropped first. */
const MAX_PONGS = 16;

/** Frames up to this total are joined into one buffer for a single write call. */
const JOIN_MAX_BYTES = 64 * 1024;


/** Outboxes with frames to write this turn: one deferred callback flushes them all. */
let dirty: Outbox[] = [];

function flushDirty(): void {
  const outboxes = dirty;
  dirty = [];
  for (const outbox of outboxes) outbox.flush();
}

/**
 * Frames on their way to the socket. Everything queued during one turn of the event loop
 * goes out in one write (small frames joined, large ones corked together), so a burst of
 * sends or replies costs one syscall. `whenWritable()` resolves once the queued bytes are
 * handed to the socket and its buffer is under the high-water mark: awaiting it is
 * backpressure.
 */
export class Outbox {
  // One array reused for every flush; the pong list and the writability promise are made
  // on first use, so an idle connection holds as little as possible.
  private readonly frames: Uint8Array[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private pongs: Uint8Array[] | null = null;
  private pongWaitsForDrain = false;
  /**
   * What every whenWritable() since the last settle waits on: one promise for all the sends
   * of a turn, not one each (a pipelining peer makes dozens per turn).
   */
  private waiting: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;
  private waitingForDrain = false;
  private closedError: Error | null = null;

  constructor(private readonly socket: WritableSocket) {}

  /** Queues frames (in order) for the next flush. */
  enqueue(frames: readonly Uint8Array[]): void {
    if (this.closedError) return;
    for (const frame of frames) {
      this.frames.push(frame);
      this.queuedBytes += frame.length;
    }
    this.schedule();
  }

  /**
   * Queues a pong. Every ping is answered while the peer reads, but at most MAX_PONGS wait
   * here, and while the socket is over its high-water mark only the newest is kept
   * (RFC 6455 §5.5.3 allows answering only the most recent ping): a peer that floods pings
   * without reading cannot grow memory.
   */
  enqueuePong(frame: Uint8Array): void {
    if (this.closedError) return;
    const pongs = this.pongs ??= [];
    if (pongs.length >= MAX_PONGS) pongs.shift();
    pongs.push(frame);
    this.schedule();
  }

  /** Resolves when everything queued so far is with the socket and the socket is not over its high-water mark. */
  whenWritable(): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (!this.scheduled && this.frames.length === 0 && !this.socket.writableNeedDrain) return Promise.resolve();
    let waiting = this.waiting;
    if (waiting === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      waiting = this.waiting = { promise, resolve, reject };
    }
    if (!this.scheduled) this.settleWaiters(); // nothing queued: only the drain is awaited
    return waiting.promise;
  }

  /** Bytes queued here plus bytes the socket has not yet written. */
  get bufferedAmount(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** Writes everything queued now (a flush already scheduled becomes a no-op). */
  flush(): void {
    const pongs = this.pongs;
    if (!this.scheduled && this.frames.length === 0 && pongs === null) {
      this.settleWaiters();
      return;
    }
    this.scheduled = false;
    if (this.closedError) return;
    const frames = this.frames;
    if (pongs !== null) {
      if (this.socket.writableNeedDrain) {
        // The peer is not reading: hold the newest pong until the socket drains.
        pongs.splice(0, pongs.length - 1);
        if (!this.pongWaitsForDrain) {
          this.pongWaitsForDrain = true;
          this.socket.once('drain', () => { this.pongWaitsForDrain = false; this.schedule(); });
        }
      } else {
        // Pongs go first: a control frame may precede queued data, and it keeps RTTs honest.
        for (const pong of pongs) this.queuedBytes += pong.length;
        frames.unshift(...pongs);
        this.pongs = null;
      }
    }
    if (frames.length === 1) {
      this.write(frames[0]);
    } else if (frames.length > 1 && this.queuedBytes <= JOIN_MAX_BYTES) {
      const joined = takeOutput(this.queuedBytes);
      let at = 0;
      for (const frame of frames) {
        joined.set(frame, at);
        at += frame.length;
        if (isPooledOutput(frame)) writePool.give(frame); // copied: the socket never sees it
      }
      this.write(joined);
    } else if (frames.length > 1) {
      this.socket.cork();
      for (const frame of frames) this.write(frame);
      this.socket.uncork();
    }
    frames.length = 0; // the socket has taken every frame
    this.queuedBytes = 0;
    this.settleWaiters();
  }

  /** Drops whatever is queued and rejects every waiter: the connection is gone. */
  close(error: Error = new AlreadyClosedError()): void {
    if (this.closedError) return;
    this.closedError = error;
    this.frames.length = 0;
    this.queuedBytes = 0;
    this.pongs = null;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }

  /** Writes one buffer; a pooled one goes back to the pool once the socket is done with it. */
  private write(data: Uint8Array): void {
    if (isPooledOutput(data)) this.socket.write(data, () => writePool.give(data));
    else this.socket.write(data);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    dirty.push(this);
    if (dirty.length === 1) defer(flushDirty);
  }

  private settleWaiters(): void {
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
      if (!this.scheduled) this.settleWaiters();
    });
  }
}
