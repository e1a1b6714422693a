import { isPooledOutput, takeOutput, writePool } from '../frame/write-pool';
import type { Completion, Completions } from './completions';
import type { WritableSocket } from './writability';

/** Frames up to this total are joined into one buffer for a single write call. */
export const JOIN_MAX_BYTES = 64 * 1024;

/**
 * One flush's frames handed to the socket: one frame as it is, up to JOIN_MAX_BYTES joined
 * into one pooled buffer (one write call), more corked (so large payloads are never
 * copied). `batch`'s callbacks are settled by the last write's completion; pooled buffers go
 * back to the pool once the socket is done with them. `pooledViews`: frames that are views
 * of a pool buffer isPooledOutput() does not see (a turn buffer's), given back the same way.
 */
export function writeFrames(
  socket: WritableSocket,
  frames: Uint8Array[],
  bytes: number,
  batch: Completion[] | null,
  completions: Completions | null,
  pooledViews: Uint8Array[] | null,
): void {
  if (frames.length === 1) {
    writeOne(socket, frames[0], batch, completions, pooledViews !== null);
  } else if (frames.length > 1 && bytes <= JOIN_MAX_BYTES) {
    const joined = takeOutput(bytes);
    let at = 0;
    for (const frame of frames) {
      joined.set(frame, at);
      at += frame.length;
      if (isPooledOutput(frame)) writePool.give(frame); // copied: the socket never sees it
    }
    if (pooledViews !== null) for (const view of pooledViews) writePool.give(view);
    writeOne(socket, joined, batch, completions);
  } else if (frames.length > 1) {
    // Corked writes complete together: the batch rides on the last one.
    socket.cork();
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) writeOne(socket, frames[i], null, completions, pooledViews !== null && pooledViews.includes(frames[i]));
    writeOne(socket, frames[last], batch, completions, pooledViews !== null && pooledViews.includes(frames[last]));
    socket.uncork();
  }
}

/** Writes one buffer: a pooled one goes back once written, and `batch` settles on completion. */
function writeOne(socket: WritableSocket, data: Uint8Array, batch: Completion[] | null, completions: Completions | null, pooledView = false): void {
  if (pooledView) {
    // A turn buffer's view: its backing buffer goes back to the pool once written.
    socket.write(data, (error) => {
      writePool.give(data);
      if (batch !== null) completions!.written(batch, error);
    });
  } else if (batch !== null) {
    const pooled = isPooledOutput(data);
    socket.write(data, (error) => {
      if (pooled) writePool.give(data);
      completions!.written(batch, error);
    });
  } else if (isPooledOutput(data)) socket.write(data, () => writePool.give(data));
  else socket.write(data);
}

/**
 * This turn's buffer, which small frames are written straight into (see Outbox.inPlace()):
 * the turn's frames then leave as one buffer with no join copy.
 */
export class TurnBuffer {
  private buffer: Uint8Array | null = null;
  private used = 0;
  private pooled = false;

  get isOpen(): boolean {
    return this.buffer !== null;
  }

  /** Where the next frame starts. */
  get offset(): number {
    return this.used;
  }

  /** The open buffer if `size` more bytes fit in it, else null (close() it and open() another). */
  room(size: number): Uint8Array | null {
    const buffer = this.buffer;
    return buffer !== null && this.used + size <= buffer.length ? buffer : null;
  }

  /**
   * A new buffer, as large as the last flush wrote (an echo writes about what it read), at
   * least `size`, at most JOIN_MAX_BYTES: one joined write's worth, what a flush would have
   * taken to join these frames.
   */
  open(size: number, lastFlushBytes: number): Uint8Array {
    const buffer = takeOutput(Math.min(JOIN_MAX_BYTES, Math.max(size, lastFlushBytes)));
    this.buffer = buffer;
    this.used = 0;
    this.pooled = isPooledOutput(buffer);
    return buffer;
  }

  /** `size` bytes were written at offset. */
  commit(size: number): void {
    this.used += size;
  }

  /** The connection is gone: what was written here is dropped, a pooled buffer given back. */
  discard(): void {
    if (this.buffer !== null && this.pooled) writePool.give(this.buffer);
    this.buffer = null;
    this.used = 0;
    this.pooled = false;
  }

  /**
   * The frames written so far become one frame at the end of `frames`; the rest of the
   * buffer is not used again (a buffer is one view, so a pooled one is given back once, after
   * that view is written or joined). Returns the view when it is a pooled view that
   * isPooledOutput() cannot see — the caller gives it back once written — else null.
   */
  close(frames: Uint8Array[]): Uint8Array | null {
    const buffer = this.buffer!;
    const used = this.used;
    const pooled = this.pooled;
    this.buffer = null;
    this.used = 0;
    this.pooled = false;
    if (used === 0) {
      if (pooled) writePool.give(buffer);
      return null;
    }
    const view = buffer.subarray(0, used);
    frames.push(view);
    return pooled && !isPooledOutput(view) ? view : null;
  }
}
