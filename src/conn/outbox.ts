import { AlreadyClosedError } from '../errors';
import { Completions, type Completion, type CompletionHost, type WriteCallback } from './completions';
import { defer } from './defer';
import { TurnBuffer, writeFrames } from './flush-writes';
import { handled, Writability, type WritableSocket } from './writability';

import { sizeOf, work, type OutgoingWork } from './outgoing-work';

export { handled, SEND_HIGH_WATER_BYTES, SETTLED, type WritableSocket } from './writability';
export { sizeOf, type OutgoingWork } from './outgoing-work';

/** Pongs waiting at most; older ones are dropped first. */
const MAX_PONGS = 16;

const IGNORE_FAILURES: CompletionHost = { writeCallbackFailed() {} };

/** Outboxes with frames to write this turn: one deferred callback flushes them all. */
let dirty: Outbox[] = [];

function flushDirty(): void {
  const outboxes = dirty;
  dirty = [];
  for (const outbox of outboxes) outbox.flush();
}


/**
 * What a connection sends, in order. Data leaves in the order it was queued; the line is
 * made of work items (message -> [deflate] -> frames), each counted in bufferedAmount from
 * the moment it is queued, so a message being compressed holds its place, and the close
 * frame, queued like data, leaves only after everything sent before it. Control frames
 * (pings, pongs) may overtake waiting work (RFC 6455 §5.4).
 *
 * The fast path is unchanged by the line: with nothing waiting, frames go straight to the
 * next flush, and everything queued during one turn of the event loop goes out in one write
 * (small frames joined, large ones corked together). `whenWritable()` resolves at once
 * while little is waiting (see SEND_HIGH_WATER_BYTES), otherwise once the queued bytes are
 * handed to the socket and its buffer is under the high-water mark: awaiting it is
 * backpressure.
 */
export class Outbox {
  // One array reused for every flush; the pong list, the line and the writability promise
  // are made on first use, so an idle connection holds as little as possible.
  private frames: Uint8Array[] = [];
  /** The other of the two frame arrays flush() alternates (null while a flush holds it). */
  private spare: Uint8Array[] | null = [];
  private readyBytes = 0;
  /** Work that cannot be written yet, in order; its head is pending or open. */
  private line: OutgoingWork[] | null = null;
  private lineBytes = 0;
  private scheduled = false;
  private pongs: Uint8Array[] | null = null;
  private pongWaitsForDrain = false;
  /** The close frame's callback, once that frame is among the frames to write. */
  private afterFlush: (() => void) | null = null;
  /** What every whenWritable() past the high-water mark waits on; made on first need. */
  private writability: Writability | null = null;
  private closedError: Error | null = null;
  /** The write callbacks in call order; made by the first send that has one. */
  private completions: Completions | null = null;
  /** The write callbacks whose last bytes are among `frames`: settled by the flush's last write. */
  private batch: Completion[] | null = null;
  /** This turn's buffer for small frames (see inPlace()); made by the first in-place send. */
  private turn: TurnBuffer | null = null;
  private lastFlushBytes = 0;
  /** Frames among `frames` that are views of a writePool buffer isPooledOutput() does not see (a turn buffer's). */
  private pooledViews: Uint8Array[] | null = null;

  /** `host` hears of write callbacks that throw (by default they are ignored). */
  constructor(private readonly socket: WritableSocket, private readonly host: CompletionHost = IGNORE_FAILURES) {}

  /** False once close() was called: nothing more will be written. */
  get isOpen(): boolean {
    return this.closedError === null;
  }

  /**
   * Queues a message's frames behind everything queued before; resolves as whenWritable()
   * does (rejects if the connection goes). The array is not kept: the caller may reuse it.
   */
  enqueue(frames: readonly Uint8Array[], done?: WriteCallback): Promise<void> {
    if (this.closedError) return this.refuse(this.closedError, done);
    if (this.line === null || this.line.length === 0) {
      this.push(frames);
      if (done !== undefined) (this.batch ??= []).push(this.track(done));
      return this.whenWritable();
    }
    const item = work(frames.slice(), sizeOf(frames), false, false);
    if (done !== undefined) item.done = [this.track(done)];
    const written = this.whenWritten(item);
    this.queue(item);
    return written;
  }

  /** True when the next frame may be written in place (see inPlace()): nothing waits in the line. */
  get takesInPlace(): boolean {
    return this.closedError === null && (this.line === null || this.line.length === 0);
  }

  /**
   * This turn's buffer, with room for `size` (≤ 64 KiB: flush-writes' JOIN_MAX_BYTES) more bytes at
   * inPlaceOffset: the caller writes one frame there, then calls commitInPlace(size). Only
   * while takesInPlace.
   */
  inPlace(size: number): Uint8Array {
    const turn = this.turn ??= new TurnBuffer();
    const room = turn.room(size);
    if (room !== null) return room;
    if (turn.isOpen) this.closeTurn();
    return turn.open(size, this.lastFlushBytes);
  }

  /** Where the next in-place frame starts in inPlace()'s buffer. */
  get inPlaceOffset(): number {
    return this.turn!.offset;
  }

  /** The `size` bytes written at inPlaceOffset are a message's frame: queued and resolved as enqueue() does. */
  commitInPlace(size: number, done?: WriteCallback): Promise<void> {
    this.turn!.commit(size);
    this.readyBytes += size;
    this.schedule();
    if (done !== undefined) (this.batch ??= []).push(this.track(done));
    return this.whenWritable();
  }

  /** Queues a frame that may overtake waiting work (a ping): written at the next flush. */
  enqueueControl(frames: Uint8Array[], done?: WriteCallback): void {
    if (this.closedError) {
      if (done !== undefined) this.refuse(this.closedError, done);
      return;
    }
    this.push(frames);
    if (done !== undefined) (this.batch ??= []).push(this.track(done));
  }

  /** A send that queued nothing: its promise rejects, and `done` gets `error` after the callbacks before it. */
  refuse(error: Error, done?: WriteCallback): Promise<void> {
    if (done !== undefined) (this.completions ??= new Completions(this.host)).addFailed(done, error);
    return handled(Promise.reject(error));
  }

  /**
   * Queues the close frame behind everything queued before it (RFC 6455 §5.5.1: no data
   * after it). `onWritten` runs once it has been handed to the socket.
   *
   * `failing`: the close does not wait for a streamed message still open. It goes right
   * after the fragments written so far (a control frame may sit between fragments, RFC 6455
   * §5.4), that stream takes no more frames, and the work queued behind it is dropped (it
   * could only follow the stream's final frame): its sends reject.
   */
  enqueueClose(frame: Uint8Array, onWritten: () => void, failing = false): void {
    if (this.closedError) return;
    const line = this.line;
    const open = failing && line ? line.findIndex((item) => item.open) : -1;
    if (open >= 0) {
      line![open].open = false;
      const error = new AlreadyClosedError('the connection failed before this message could be sent');
      for (const dropped of line!.splice(open + 1)) {
        this.lineBytes -= dropped.bytes;
        dropped.pending = false; // a fill() still to come is ignored
        for (const waiter of dropped.waiters?.splice(0) ?? []) waiter.reject(error);
        this.failDone(dropped, error);
      }
    }
    const item = work([frame], frame.length, false, false);
    item.onWritten = onWritten;
    this.queue(item);
  }

  /**
   * Takes a place in the line for a message whose frames come later (its payload is being
   * compressed), counted as `estimate` bytes until fill() gives its frames.
   */
  reserve(estimate: number, done?: WriteCallback): OutgoingWork {
    const item = work([], estimate, true, false);
    if (done !== undefined) item.done = [this.track(done)];
    if (!this.closedError) this.queue(item);
    else this.failDone(item, this.closedError);
    return item;
  }

  /** The frames of reserved work are ready: it goes out when its turn comes. */
  fill(item: OutgoingWork, frames: Uint8Array[]): void {
    if (this.closedError || !item.pending) return;
    const size = sizeOf(frames);
    this.lineBytes += size - item.bytes;
    item.bytes = size;
    item.frames = frames;
    item.pending = false;
    this.advance();
  }

  /** Reserved work that will never be filled leaves the line; its waiters get `error`. */
  cancel(item: OutgoingWork, error: Error): void {
    const index = this.line?.indexOf(item) ?? -1;
    if (index >= 0) {
      this.line!.splice(index, 1);
      this.lineBytes -= item.bytes;
    }
    item.pending = false;
    for (const waiter of item.waiters?.splice(0) ?? []) waiter.reject(error);
    this.failDone(item, error);
    this.advance();
  }

  /** A place in the line for a message written frame by frame: later work waits until it ends. */
  openStream(): OutgoingWork {
    const item = work([], 0, false, true);
    if (!this.closedError) this.queue(item);
    return item;
  }

  /** Adds frames to a streamed message (`last`: its final frame); resolves as enqueue() does. */
  appendStream(item: OutgoingWork, frames: Uint8Array[], last: boolean, done?: WriteCallback): Promise<void> {
    if (this.closedError) return this.refuse(this.closedError, done);
    if (!item.open) return this.refuse(new AlreadyClosedError('this message was cut short: the connection failed'), done);
    item.frames.push(...frames);
    if (done !== undefined) (item.done ??= []).push(this.track(done));
    const size = sizeOf(frames);
    item.bytes += size;
    this.lineBytes += size;
    if (last) item.open = false;
    const written = this.whenWritten(item);
    this.advance();
    return written;
  }

  /** Resolves when `item`'s frames so far are with the socket and it is under its high-water mark. */
  whenWritten(item: OutgoingWork): Promise<void> {
    if (this.closedError) return handled(Promise.reject(this.closedError));
    return handled(new Promise((resolve, reject) => (item.waiters ??= []).push({ resolve, reject })));
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

  /**
   * Resolves when what is queued so far may be followed by more: at once (a shared settled
   * promise, no allocation) while the socket needs no drain and the bytes waiting are under
   * SEND_HIGH_WATER_BYTES; otherwise once everything queued for the next flush is with the
   * socket and the socket is under its high-water mark.
   */
  whenWritable(): Promise<void> {
    if (this.closedError) return handled(Promise.reject(this.closedError));
    return (this.writability ??= new Writability(this.socket, this)).when(this.readyBytes);
  }

  /** A flush is due at the end of this turn. */
  get isFlushScheduled(): boolean {
    return this.scheduled;
  }

  /** Bytes queued here (work being compressed counted at its uncompressed size) plus bytes the socket has not yet written. */
  get bufferedAmount(): number {
    return this.readyBytes + this.lineBytes + this.socket.writableLength;
  }

  /** Writes everything ready now (a flush already scheduled becomes a no-op). */
  flush(): void {
    if (this.turn?.isOpen) this.closeTurn();
    const pongs = this.pongs;
    if (!this.scheduled && this.frames.length === 0 && pongs === null) {
      this.settleWaiters();
      return;
    }
    this.scheduled = false;
    if (this.closedError) return;
    const frames = this.frames;
    const batch = this.batch;
    this.batch = null;
    // The close frame's hook belongs to these frames: one queued from a write callback below waits for its own flush.
    const afterFlush = this.afterFlush;
    this.afterFlush = null;
    if (pongs !== null) {
      // With the close frame in this flush a held pong goes now, ahead of it: nothing may
      // follow the close (and a server ends TCP once it is written).
      if (this.socket.writableNeedDrain && afterFlush === null) {
        // The peer is not reading: hold the newest pong until the socket drains.
        pongs.splice(0, pongs.length - 1);
        if (!this.pongWaitsForDrain) {
          this.pongWaitsForDrain = true;
          this.socket.once('drain', () => { this.pongWaitsForDrain = false; this.schedule(); });
        }
      } else {
        // Pongs go first: a control frame may precede queued data, and it keeps RTTs honest.
        for (const pong of pongs) this.readyBytes += pong.length;
        frames.unshift(...pongs);
        this.pongs = null;
      }
    }
    // A socket may complete a write inside write() (Bun's): a callback run from there may
    // queue frames, or flush (terminate()). They go to the other array, not among these.
    const bytes = this.readyBytes;
    this.readyBytes = 0;
    this.lastFlushBytes = bytes;
    this.frames = this.spare ?? [];
    this.spare = null;
    const pooledViews = this.pooledViews;
    this.pooledViews = null;
    writeFrames(this.socket, frames, bytes, batch, this.completions, pooledViews);
    frames.length = 0; // the socket has taken every frame
    this.spare = frames;
    this.settleWaiters();
    afterFlush?.();
  }

  /** Drops whatever is queued and rejects every waiter: the connection is gone. */
  close(error: Error = new AlreadyClosedError()): void {
    if (this.closedError) return;
    this.closedError = error;
    this.turn?.discard();
    this.pooledViews = null; // dropped with the frames: collected, not given back
    this.frames.length = 0;
    this.readyBytes = 0;
    this.pongs = null;
    this.afterFlush = null;
    this.batch = null;
    const line = this.line ?? [];
    this.line = null;
    this.lineBytes = 0;
    this.writability?.reject(error);
    for (const item of line) for (const waiter of item.waiters?.splice(0) ?? []) waiter.reject(error);
    // Written or not, every callback not yet told gets the error (a write still in flight
    // when the socket is destroyed may never report): each is told exactly once, in order.
    this.completions?.failAll(error);
  }

  /** Frames for the next flush. */
  private push(frames: readonly Uint8Array[]): void {
    if (this.turn?.isOpen) this.closeTurn(); // what was written in place comes first
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      this.frames.push(frame);
      this.readyBytes += frame.length;
    }
    this.schedule();
  }

  /** Puts work at the end of the line and lets through whatever is ready. */
  private queue(item: OutgoingWork): void {
    (this.line ??= []).push(item);
    this.lineBytes += item.bytes;
    this.advance();
  }

  /** Moves ready work from the head of the line to the next flush, up to the first pending or open one. */
  private advance(): void {
    const line = this.line;
    if (line === null || this.closedError) return;
    while (line.length > 0) {
      const head = line[0];
      if (head.pending) break;
      if (head.frames.length > 0) {
        this.push(head.frames);
        head.frames = [];
      }
      this.lineBytes -= head.bytes;
      head.bytes = 0;
      if (head.onWritten) this.afterFlush = head.onWritten;
      if (head.done !== null) {
        const batch = this.batch ??= [];
        for (const entry of head.done) batch.push(entry);
        head.done = null;
      }
      const waiters = head.waiters;
      head.waiters = null;
      if (waiters) {
        const written = this.whenWritable();
        for (const waiter of waiters) written.then(waiter.resolve, waiter.reject);
      }
      if (head.open) break;
      line.shift();
    }
  }

  /** A place in the callbacks' line for a send that has one. */
  private track(done: WriteCallback): Completion {
    return (this.completions ??= new Completions(this.host)).add(done);
  }

  /** `item` will never be written: its callbacks get `error`. */
  private failDone(item: OutgoingWork, error: Error): void {
    const done = item.done;
    if (done === null) return;
    item.done = null;
    this.completions!.fail(done, error);
  }

  /** The frames written in place so far become one frame among `frames`. */
  private closeTurn(): void {
    const view = this.turn!.close(this.frames);
    if (view !== null) (this.pooledViews ??= []).push(view);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    dirty.push(this);
    if (dirty.length === 1) defer(flushDirty);
  }

  private settleWaiters(): void {
    this.writability?.settle();
  }
}
