import { constants, createDeflateRaw, createInflateRaw, inflateRawSync, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { canRunSync, watchSyncErrors } from './zlib-sync';

/**
 * Output chunk of each zlib stream. Node keeps one such buffer per stream for the stream's
 * life: at the default 16 KiB that is 32 KiB per connection; 4 KiB costs a few more
 * callbacks per large message.
 */
export const ZLIB_CHUNK_BYTES = 4096;

/** Idle streams kept per parameter set; more are closed on release. */
const MAX_IDLE_PER_KEY = 8;

/** Settings of a compressing stream. */
export interface DeflateSettings {
  level: number;
  memLevel: number;
  windowBits: number;
}

/*
 * Every write ends in a sync flush (`flush: Z_SYNC_FLUSH`): a message sent through the
 * stream API is one write, so it is one job in zlib's threadpool, where write() + flush()
 * made two (three for an inflate with its tail written apart). Each job is a hop to a
 * worker thread and back, which cost more than the zlib work itself for a 1 KiB message
 * (issue 13, target 7): small messages skip the threadpool altogether (zlib-sync.ts).
 */

function ignore(): void {}

/**
 * A stream's errors reach the job that is running through its write callback and its own
 * listener; this one stays, so an 'error' emitted after that job has settled (and removed
 * its listener) is never an uncaught exception.
 */
function quiet<T extends DeflateRaw | InflateRaw>(stream: T): T {
  stream.on('error', ignore);
  return watchSyncErrors(stream);
}

/** Opens a raw deflate stream (RFC 7692 uses raw DEFLATE, no zlib header); each write is flushed. */
export function openDeflate(s: DeflateSettings): DeflateRaw {
  return quiet(createDeflateRaw({ level: s.level, memLevel: s.memLevel, windowBits: s.windowBits, chunkSize: ZLIB_CHUNK_BYTES, flush: constants.Z_SYNC_FLUSH }));
}

/** Opens a raw inflate stream for a peer window of `windowBits` (8 decodes with 9); each write is flushed. */
export function openInflate(windowBits: number): InflateRaw {
  return quiet(createInflateRaw({ windowBits: Math.max(windowBits, 9), chunkSize: ZLIB_CHUNK_BYTES, flush: constants.Z_SYNC_FLUSH }));
}

/** True when zlib jobs may run sync on this runtime's streams (zlib-sync.ts), checked once. */
export function syncZlib(): boolean {
  return canRunSync({
    deflate: () => openDeflate({ level: 6, memLevel: 8, windowBits: 15 }),
    inflate: () => openInflate(15),
    inflateAll: (data) => inflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }),
  });
}

/**
 * Streams for directions without context takeover, shared by every connection in the
 * process: such a stream is reset after each message anyway, so a connection borrows one
 * for a message and gives it back. Measured here: a used deflate stream holds ~110 KiB
 * (Node's zlib keeps a 64 KiB hash table whatever memLevel says), an inflate ~17 KiB, so
 * sharing turns per-connection memory into per-concurrent-message memory.
 */
class StreamPool<T extends DeflateRaw | InflateRaw> {
  private readonly idle = new Map<string, T[]>();

  acquire(key: string, open: () => T): T {
    return this.idle.get(key)?.pop() ?? open();
  }

  release(key: string, stream: T): void {
    stream.reset();
    let list = this.idle.get(key);
    if (list === undefined) this.idle.set(key, (list = []));
    if (list.length < MAX_IDLE_PER_KEY) list.push(stream);
    else stream.close();
  }
}

/** The process-wide pools. */
export const deflatePool = new StreamPool<DeflateRaw>();
export const inflatePool = new StreamPool<InflateRaw>();
