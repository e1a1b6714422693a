import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { ConnSocket } from '../conn/core';

/** Bytes queued past which write() returns false and a 'drain' follows (node:net's default). */
const HIGH_WATER_BYTES = 16 * 1024;

type WriteCallback = (error?: Error | null) => void;

const encoder = new TextEncoder();

/**
 * Adjacent queued chunks are copied into one buffer of at most this many bytes before a send:
 * one syscall per turn instead of one per frame part (Bun and Deno have no vectored write).
 */
const JOIN_MAX_BYTES = 256 * 1024;
/** A chunk larger than this is sent as it is (copying it costs more than the syscall saved). */
const JOIN_CHUNK_MAX_BYTES = 64 * 1024 + 16;

/**
 * What Bun's and Deno's own sockets share once wrapped as a ConnSocket: the node:net
 * semantics the core, serve() and dial() rely on, and nothing more. Writes the OS did not
 * take at once, and writes between cork() and uncork(), wait here in order; before a send the
 * chunks at the queue's head are joined into one buffer (small ones, up to a bound), and the
 * joined write completes its parts' callbacks in order. write() returns false past
 * the high-water mark and 'drain' follows once they are out; pause() holds every chunk and
 * the FIN read after it until resume(), as a node:net socket does; 'close' is emitted once.
 *
 * A subclass moves bytes: `send` starts writing the head of the queue, `shutdown` sends our
 * FIN, `terminate` closes the socket at once; it calls `received`, `peerEnded`, `wrote`,
 * `failed` and `closedNow` as the runtime reports.
 *
 * Listeners run with `this` the socket (EventEmitter's rule), which the core relies on.
 */
export abstract class NativeSocket extends EventEmitter implements ConnSocket {
  destroyed = false;
  readableEnded = false;
  /** False once end() was called. */
  writable = true;
  remoteAddress: string | undefined;
  /** Chunks not yet taken by the OS, oldest first; the head may be partly written. */
  protected readonly queue: Uint8Array[] = [];
  /** Per queued chunk: its callback, or a joined chunk's parts' callbacks in order. */
  private readonly callbacks: (WriteCallback | undefined | (WriteCallback | undefined)[])[] = [];
  /** cork() calls not yet matched by uncork(). */
  private corks = 0;
  /** A write came while corked onto an empty queue: uncork() starts the send. */
  private sendOnUncork = false;
  private queuedBytes = 0;
  private needDrain = false;
  private finPending = false;
  private paused = false;
  /** What came while paused: chunks, then `null` for the FIN. */
  private held: (Uint8Array | null)[] | null = null;

  // ── the runtime's side ────────────────────────────────────────────────────────────

  /** Start writing queue[0] (the queue is not empty; call joinHead() first); report with wrote(). */
  protected abstract send(): void;
  /** Our FIN, once everything queued is written. */
  protected abstract shutdown(): void;
  /** Close the socket now; closedNow() follows (at once or later). */
  protected abstract terminate(): void;
  /** Stop or restart reading from the OS. */
  protected abstract setReading(on: boolean): void;

  /** `n` bytes of queue[0] are written; the rest, if any, waits for the next send(). */
  protected wrote(n: number): void {
    const head = this.queue[0];
    this.queuedBytes -= n;
    if (n < head.length) {
      this.queue[0] = head.subarray(n);
      return;
    }
    this.queue.shift();
    const callback = this.callbacks.shift();
    if (callback === undefined) return;
    // Never from inside write() (Bun's write completes at once): node:net calls write
    // callbacks later, and the core relies on it (a callback that sends again re-enters
    // the outbox mid-flush, and what it sends was dropped).
    const before = this.written.length;
    if (typeof callback === 'function') this.written.push(callback);
    else for (const part of callback) if (part !== undefined) this.written.push(part);
    if (before === 0 && this.written.length > 0) queueMicrotask(this.callWritten);
  }

  /**
   * Joins the chunks at the queue's head into one (while each is at most
   * JOIN_CHUNK_MAX_BYTES and the sum at most JOIN_MAX_BYTES), so that one send carries them.
   * Call only when queue[0] is not being written (a runtime holding it would see it change).
   */
  protected joinHead(): void {
    const queue = this.queue;
    if (queue.length < 2 || queue[0].length > JOIN_CHUNK_MAX_BYTES) return;
    let count = 1;
    let total = queue[0].length;
    while (count < queue.length) {
      const next = queue[count].length;
      if (next > JOIN_CHUNK_MAX_BYTES || total + next > JOIN_MAX_BYTES) break;
      total += next;
      count++;
    }
    if (count === 1) return;
    const joined = Buffer.allocUnsafe(total);
    const parts: (WriteCallback | undefined)[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      joined.set(queue[i], at);
      at += queue[i].length;
      const callback = this.callbacks[i];
      if (typeof callback === 'function' || callback === undefined) parts.push(callback);
      else parts.push(...callback);
    }
    queue.splice(0, count, joined);
    this.callbacks.splice(0, count, parts);
  }

  /** Callbacks of completed writes, called in order in one microtask. */
  private readonly written: WriteCallback[] = [];

  private readonly callWritten = (): void => {
    const written = this.written;
    for (let i = 0; i < written.length; i++) written[i]();
    written.length = 0;
  };

  /** Everything queued is written: the FIN goes if asked for, 'drain' if it was promised. */
  protected drained(): void {
    if (this.finPending) {
      this.finPending = false;
      this.shutdown();
    }
    if (this.needDrain) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  protected received(chunk: Uint8Array): void {
    if (this.destroyed) return;
    if (this.paused || this.held !== null) (this.held ??= []).push(chunk);
    else this.emit('data', chunk);
  }

  /** The peer's FIN. With nobody listening for 'end' (before a handshake), our half ends too, as allowHalfOpen: false does. */
  protected peerEnded(): void {
    if (this.destroyed || this.readableEnded) return;
    if (this.paused || this.held !== null) {
      (this.held ??= []).push(null);
      return;
    }
    this.readableEnded = true;
    this.emit('end');
    if (this.listenerCount('end') === 0) this.end();
  }

  protected failed(error: Error): void {
    if (this.destroyed) return;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.destroy();
  }

  /** The socket is closed: 'close', once. */
  protected closedNow(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.destroyed = true;
    this.writable = false;
    this.emit('close');
  }

  private closeEmitted = false;

  // ── ConnSocket ────────────────────────────────────────────────────────────────────

  /** Queues `data` (a string goes as UTF-8, as node:net's default); false past the high-water mark. */
  write(data: Uint8Array | string, callback?: WriteCallback): boolean {
    if (this.destroyed || !this.writable) return false;
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    if (bytes.length === 0) {
      callback?.();
      return !this.needDrain;
    }
    this.queue.push(bytes);
    this.callbacks.push(callback);
    this.queuedBytes += bytes.length;
    if (this.queue.length === 1) {
      if (this.corks > 0) this.sendOnUncork = true;
      else this.send();
    }
    if (this.queuedBytes >= HIGH_WATER_BYTES) this.needDrain = true;
    return !this.needDrain;
  }

  /** Holds writes until the matching uncork(), so that they can go out joined in one send. */
  cork(): void {
    this.corks++;
  }

  uncork(): void {
    if (this.corks === 0) return;
    if (--this.corks === 0) this.flushCorked();
  }

  private flushCorked(): void {
    if (!this.sendOnUncork) return; // nothing held, or a send in progress takes it on
    this.sendOnUncork = false;
    if (this.queue.length > 0 && !this.destroyed) this.send();
  }

  get writableLength(): number {
    return this.queuedBytes;
  }

  get writableNeedDrain(): boolean {
    return this.needDrain;
  }

  /** Our FIN after what is queued (and `data`, if given). */
  end(data?: Uint8Array | string): void {
    if (data !== undefined) this.write(data);
    if (!this.writable || this.destroyed) return;
    this.writable = false;
    // As node:net's end(): what was corked goes now, and our FIN after it.
    this.corks = 0;
    if (this.queue.length === 0) this.shutdown();
    else {
      this.finPending = true;
      this.flushCorked();
    }
  }

  /** Closes at once; what is queued is dropped (its callbacks are not called: a runtime may still read a buffer it was given). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writable = false;
    this.queue.length = 0;
    this.callbacks.length = 0;
    this.queuedBytes = 0;
    this.corks = 0;
    this.sendOnUncork = false;
    this.held = null;
    this.terminate();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.setReading(false);
  }

  /** Reads again; what was held comes first, in a microtask (node:net never emits from inside resume()). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.held === null) this.setReading(true);
    else queueMicrotask(() => this.releaseHeld());
  }

  setNoDelay(): this {
    return this;
  }

  private releaseHeld(): void {
    const held = this.held;
    while (held !== null && held.length > 0 && !this.paused && !this.destroyed) {
      const chunk = held.shift()!;
      if (chunk !== null) {
        this.emit('data', chunk);
        continue;
      }
      this.held = null;
      this.peerEnded();
      return;
    }
    if (held !== null && held.length === 0 && this.held === held) this.held = null;
    if (this.held === null && !this.paused && !this.destroyed && !this.readableEnded) this.setReading(true);
  }
}
