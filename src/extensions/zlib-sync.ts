import { constants, type DeflateRaw, type InflateRaw } from 'node:zlib';

/*
 * Synchronous zlib on a persistent stream. Node's public sync API (`deflateRawSync`,
 * `_processChunk` without a callback) closes the handle after one call, so it cannot keep
 * a context. Underneath, every stream's native handle has `writeSync(flush, in, inOff,
 * inLen, out, outOff, outLen)`, which runs the same zlib call on the caller's thread and
 * leaves [availOut, availIn] in the stream's `_writeState`: the state (dictionary) stays.
 * Node 20, Bun and Deno all have it; it is internal, so it is used only when a self-check
 * at startup gives the bytes the stream API gives, and everything falls back to the async
 * path otherwise. A sync job on a handle with an async write in flight aborts the process
 * (a native CHECK): callers use it only on a stream no async job is using.
 */

type ErrorHandler = (this: unknown, message: string, errno: number, code?: string) => void;

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: ErrorHandler;
}

interface HandleStream {
  _handle: ZlibHandle | null;
  _writeState: Uint32Array;
}

/** Output buffer of every sync call, reused (sync calls never overlap). */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Uint8Array | null = null;

/** Set by a wrapped handle's onerror during a writeSync: zlib reports errors through it. */
let failure: string | null = null;

function handleOf(stream: DeflateRaw | InflateRaw): ZlibHandle | null {
  return (stream as unknown as HandleStream)._handle;
}

/**
 * Makes `stream`'s errors visible to a sync call as they happen: Node destroys the stream
 * at once, Deno only on the next tick, but both call the handle's onerror inside writeSync.
 * The stream's own handler still runs (its 'error' event, its destruction).
 */
export function watchSyncErrors<T extends DeflateRaw | InflateRaw>(stream: T): T {
  const handle = handleOf(stream);
  if (handle === null || typeof handle.onerror !== 'function') return stream;
  const own = handle.onerror;
  handle.onerror = function (this: unknown, message: string, errno: number, code?: string) {
    failure = message;
    own.call(this, message, errno, code);
  };
  return stream;
}

/** Output of one sync run: `bytes`, and whether zlib stopped before the end of the input (a final block: the stream has ended). */
export interface SyncOutput {
  bytes: Uint8Array;
  ended: boolean;
}

/**
 * Runs `input` through `stream` with a sync flush on this thread and returns the output
 * (a fresh copy). Throws an Error with zlib's message if zlib fails (the stream is unusable
 * then), or a RangeError as soon as the output passes `maxBytes` (having held at most
 * `maxBytes` plus one scratch buffer: a bomb never expands in full).
 */
export function runSync(stream: DeflateRaw | InflateRaw, input: Uint8Array, maxBytes = Infinity): SyncOutput {
  const handle = handleOf(stream);
  if (handle === null) throw new Error('the zlib stream is closed');
  const state = (stream as unknown as HandleStream)._writeState;
  const out = scratch ??= new Uint8Array(SCRATCH_BYTES);
  let parts: Uint8Array[] | null = null;
  let first: Uint8Array | null = null;
  let total = 0;
  let inOff = 0;
  let inLen = input.length;
  failure = null;
  for (;;) {
    handle.writeSync(constants.Z_SYNC_FLUSH, input, inOff, inLen, out, 0, SCRATCH_BYTES);
    if (failure !== null || stream.destroyed) {
      const message = failure ?? 'zlib failed';
      failure = null;
      throw new Error(message);
    }
    const availOut = state[0];
    const availIn = state[1];
    const have = SCRATCH_BYTES - availOut;
    if (have > 0) {
      total += have;
      if (total > maxBytes) throw new RangeError(`output larger than ${maxBytes} bytes`);
      const part = out.slice(0, have);
      if (first === null) first = part;
      else (parts ??= [first]).push(part);
    }
    inOff += inLen - availIn;
    inLen = availIn;
    // A full output buffer: zlib may have more (even with no input left). Else it is done,
    // and input it did not take means the stream ended (RFC 7692 §7.2.3: a final block).
    if (availOut !== 0) return { bytes: parts !== null ? join(parts, total) : first ?? new Uint8Array(0), ended: availIn > 0 };
  }
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return bytes;
}

let checked: boolean | undefined;

/**
 * True when this runtime's zlib streams run sync with their context kept, checked once on
 * first use: two messages deflated on one stream (the second must use the first's
 * context), decoded by the public one-shot inflate and by a sync inflate stream, and a
 * corrupt message must fail the sync inflate. Any difference or exception: false, and
 * every zlib job goes async.
 */
export function canRunSync(open: { deflate: () => DeflateRaw; inflate: () => InflateRaw; inflateAll: (data: Uint8Array) => Uint8Array }): boolean {
  return checked ??= selfCheck(open);
}

function selfCheck(open: { deflate: () => DeflateRaw; inflate: () => InflateRaw; inflateAll: (data: Uint8Array) => Uint8Array }): boolean {
  const streams: (DeflateRaw | InflateRaw)[] = [];
  try {
    const text = new TextEncoder().encode('{"id":1,"name":"permessage-deflate","tags":["sync","zlib"]}'.repeat(4));
    const deflate = open.deflate();
    const inflate = open.inflate();
    const corrupt = open.inflate();
    streams.push(deflate, inflate, corrupt);
    const one = runSync(deflate, text).bytes;
    const two = runSync(deflate, text).bytes;
    if (two.length >= one.length / 2) return false; // the context was not kept
    const both = open.inflateAll(join([one, two], one.length + two.length));
    if (!same(both, join([text, text], text.length * 2))) return false;
    if (!same(runSync(inflate, one).bytes, text) || !same(runSync(inflate, two).bytes, text)) return false;
    try {
      runSync(corrupt, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff]));
      return false; // an error zlib reports must reach the caller
    } catch {
      return true;
    }
  } catch {
    return false;
  } finally {
    for (const stream of streams) stream.close();
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
