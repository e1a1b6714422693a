import type { DeflateRaw, InflateRaw } from 'node:zlib';
import { ProtocolError } from '../errors';
import type { CompressionOptions, DeflateParams } from './deflate-negotiation';
import { Limiter } from './limiter';
import { deflatePool, inflatePool, openDeflate, openInflate, syncZlib, type DeflateSettings } from './zlib-pool';
import { runSync } from './zlib-sync';

/**
 * Messages up to this many bytes are deflated on the calling thread (zlib-sync.ts), larger
 * ones in zlib's threadpool. Measured per deflate+inflate round trip, pinned to one core
 * (docs/performance.md "Compression"): sync costs 0.1-0.2× the async CPU at 1-16 KiB (the
 * threadpool hop, not zlib, is the async cost there) and 0.6× at 64 KiB and 256 KiB (the
 * async inflate makes one hop per 4 KiB of output), so sync is cheaper at every size; the
 * limit is the event loop: a 64 KiB deflate holds it ~0.6 ms, 256 KiB ~2.4 ms, while other
 * connections wait.
 */
export const SYNC_DEFLATE_MAX_BYTES = 64 * 1024;

/**
 * Compressed messages up to this many bytes are inflated on the calling thread. 64 KiB of
 * JSON-like text is ~9 KiB compressed. The worst case is a bomb: 16 KiB can inflate to
 * ~16 MiB (deflate's ratio is ~1030:1), ~25 ms of the loop, bounded by maxMessageBytes
 * (the run stops once past it, 1009); async, the same bomb costs more CPU (4,000 hops).
 */
export const SYNC_INFLATE_MAX_BYTES = 16 * 1024;

/** The empty stored block every compressed message ends with, removed on the wire. RFC 7692 §7.2.1. */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** Input of every sync inflate, reused (sync calls never overlap): no buffer made per message. */
let syncInput: Uint8Array | null = null;

const limiters = new Map<number, Limiter>();
function limiterFor(concurrency: number): Limiter {
  let limiter = limiters.get(concurrency);
  if (limiter === undefined) limiters.set(concurrency, (limiter = new Limiter(concurrency)));
  return limiter;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** `out` without the 00 00 ff ff a sync flush ends it with (RFC 7692 §7.2.1). */
function withoutTail(out: Uint8Array): Uint8Array {
  const n = out.length;
  return n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff ? out.subarray(0, n - 4) : out;
}

/**
 * Deflates `data` with `deflate` up to a sync flush (RFC 7692 §7.2.1), tail removed. Rejects
 * if the stream fails or is closed meanwhile (its write callback then gets an error: the
 * output would be truncated).
 */
function deflateWith(deflate: DeflateRaw, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let total = 0;
    const onData = (chunk: Uint8Array) => { parts.push(chunk); total += chunk.length; };
    let settled = false;
    // The write's callback and an 'error' event may both come: the first one settles.
    const once = (error?: Error | null) => { if (!settled) { settled = true; done(error); } };
    const done = (error?: Error | null) => {
      deflate.off('data', onData);
      deflate.off('error', once);
      if (error) {
        reject(error);
        return;
      }
      const out = withoutTail(concat(parts, total));
      resolve(new Uint8Array(out.buffer, out.byteOffset, out.length));
    };
    deflate.on('data', onData);
    deflate.once('error', once);
    deflate.write(data, once); // one job: the stream flushes every write (zlib-pool.ts)
  });
}

/**
 * permessage-deflate for one connection (RFC 7692 §7.2): compresses outgoing messages and
 * inflates incoming ones, keeping or resetting each direction's LZ77 context as agreed.
 *
 * - A direction with context takeover owns its zlib stream, created on first use and closed
 *   by close(), at once. A direction without borrows a stream from a process-wide pool for
 *   each message (zlib-pool.ts), so idle connections hold no zlib memory for it.
 * - Inflation stops as soon as the output passes `maxMessageBytes` (a decompression bomb
 *   closes with 1009 having held at most the limit).
 * - A window of 8 bits is agreed honestly but never compressed with: zlib's raw deflate
 *   cannot use 8 (it silently uses 9, which the peer's 8-bit inflater may not decode), so
 *   messages in that direction go out uncompressed, which RFC 7692 always allows.
 * - Jobs with context takeover run one at a time per connection and direction (context
 *   order), and at most `concurrency` zlib jobs run at once in the process.
 * - Small messages can be done now, on this thread (compressNow, decompressNow): no
 *   threadpool hop, the same bytes. The caller keeps the order: a message done now goes
 *   behind those still in an async job (the outbox's line, the inbox's places).
 */
export class PerMessageDeflate {
  /** False when this side may not compress (its window would be 8 bits). */
  readonly canCompress: boolean;
  /** Messages below this many bytes go out uncompressed. */
  readonly threshold: number;
  /** A key for caching compressed encodings shared across connections (undefined: context is kept, nothing can be shared). */
  readonly shareKey: string | undefined;
  private deflate: DeflateRaw | null = null;
  private inflate: InflateRaw | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** Compressions with context takeover, in send order (apart from inflation, which has its own order). */
  private deflateChain: Promise<unknown> = Promise.resolve();
  /** Async compressions queued or running (context takeover): while any is, none runs sync. */
  private deflating = 0;
  /** Async inflations queued or running: while any is, none runs sync. */
  private inflating = 0;
  private closed = false;
  private readonly limiter: Limiter;
  private readonly ownWindowBits: number;
  private readonly peerWindowBits: number;
  private readonly ownNoContext: boolean;
  private readonly peerNoContext: boolean;
  private readonly deflateSettings: DeflateSettings;

  constructor(readonly params: DeflateParams, role: 'server' | 'client', options: CompressionOptions = {}) {
    const isServer = role === 'server';
    this.ownWindowBits = isServer ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.peerWindowBits = isServer ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.ownNoContext = isServer ? params.serverNoContextTakeover : params.clientNoContextTakeover;
    this.peerNoContext = isServer ? params.clientNoContextTakeover : params.serverNoContextTakeover;
    this.canCompress = this.ownWindowBits > 8;
    this.threshold = options.threshold ?? 1024;
    this.limiter = limiterFor(options.concurrency ?? 10);
    this.deflateSettings = { level: options.level ?? 6, memLevel: options.memLevel ?? 5, windowBits: this.ownWindowBits };
    this.shareKey = this.ownNoContext ? `deflate:${this.deflateSettings.level}:${this.deflateSettings.memLevel}:${this.ownWindowBits}` : undefined;
  }

  /**
   * Compresses one message; the result has its 00 00 ff ff tail removed. With context
   * takeover it uses this connection's own stream (messages are compressed one at a time,
   * in the order they are sent, and it rejects once close() was called); without, see
   * compressAlone().
   */
  compress(data: Uint8Array): Promise<Uint8Array> {
    if (this.shareKey !== undefined) return this.compressAlone(data);
    const run = () => {
      if (this.closed) return Promise.reject(new Error('permessage-deflate is closed'));
      // Its turn: nothing else uses the stream now, so a small message is done here. Queued
      // behind one large message, a busy connection's small ones would otherwise all take
      // the threadpool, each arriving while the one before is still queued (never draining).
      if (data.length <= SYNC_DEFLATE_MAX_BYTES && syncZlib()) {
        try {
          return Promise.resolve(this.deflateSync(data));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return this.limiter.run(() => deflateWith(this.deflate ??= openDeflate(this.deflateSettings), data));
    };
    this.deflating++;
    const result = this.deflateChain.then(run, run);
    const settled = () => { this.deflating--; };
    this.deflateChain = result.then(settled, settled);
    return result;
  }

  /**
   * compress() done now, on this thread, when it can be: zlib runs sync here (zlib-sync.ts),
   * `data` is at most SYNC_DEFLATE_MAX_BYTES, and no async compression of this connection
   * is queued or running (the context must see messages in send order, and a sync call on a
   * handle with an async job in flight aborts the process). Undefined otherwise: use
   * compress(). Throws if zlib fails (as compress() rejects).
   */
  compressNow(data: Uint8Array): Uint8Array | undefined {
    if (this.shareKey !== undefined) return this.compressAloneNow(data);
    if (this.closed || this.deflating > 0 || data.length > SYNC_DEFLATE_MAX_BYTES || !syncZlib()) return undefined;
    return this.deflateSync(data);
  }

  /** Deflates `data` on this thread with this connection's stream (no async job may be using it). */
  private deflateSync(data: Uint8Array): Uint8Array {
    const deflate = this.deflate ??= openDeflate(this.deflateSettings);
    try {
      return withoutTail(runSync(deflate, data).bytes);
    } catch (error) {
      deflate.close(); // its state is unknown now
      this.deflate = null;
      throw error;
    }
  }

  /** compressAlone() done now when it can be (see compressNow); undefined otherwise. */
  compressAloneNow(data: Uint8Array): Uint8Array | undefined {
    if (data.length > SYNC_DEFLATE_MAX_BYTES || !syncZlib()) return undefined;
    const key = this.shareKey!;
    const settings = this.deflateSettings;
    const deflate = deflatePool.acquire(key, () => openDeflate(settings));
    try {
      const out = withoutTail(runSync(deflate, data).bytes);
      deflatePool.release(key, deflate);
      return out;
    } catch (error) {
      deflate.close();
      throw error;
    }
  }

  /**
   * Compresses one message with a pooled stream, apart from this connection: without
   * context takeover every message is compressed alone, so the result depends on nothing
   * of this connection, not even its lifetime, and may be shared (a PreparedMessage caches
   * it under `shareKey` for every connection with the same parameters).
   */
  compressAlone(data: Uint8Array): Promise<Uint8Array> {
    const key = this.shareKey!;
    const settings = this.deflateSettings;
    return this.limiter.run(async () => {
      const deflate = deflatePool.acquire(key, () => openDeflate(settings));
      try {
        const out = await deflateWith(deflate, data);
        deflatePool.release(key, deflate);
        return out;
      } catch (error) {
        deflate.close(); // its state is unknown now
        throw error;
      }
    });
  }

  /** Inflates one message (tail added back). Rejects with a 1009 ProtocolError past maxBytes, 1007 on corrupt data. */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    // At its turn a small message is inflated here, as compress() does (and for the same reason).
    const now = data.length <= SYNC_INFLATE_MAX_BYTES ? () => this.inflateSync(data, maxBytes) : undefined;
    return this.serial(() => new Promise((resolve, reject) => {
      const poolKey = this.peerNoContext ? `inflate:${this.peerWindowBits}` : undefined;
      const inflate = poolKey !== undefined
        ? inflatePool.acquire(poolKey, () => openInflate(this.peerWindowBits))
        : this.inflate ??= openInflate(this.peerWindowBits);
      let ended = false;
      const parts: Uint8Array[] = [];
      let total = 0;
      let settled = false;
      const finish = (result: Uint8Array | Error) => {
        if (settled) return;
        settled = true;
        inflate.off('data', onData);
        inflate.off('error', onError);
        inflate.off('end', onEnd);
        if (result instanceof Error) {
          // The stream's state is unusable now: drop it (the connection is failing anyway).
          inflate.close();
          if (inflate === this.inflate) this.inflate = null;
          reject(result);
          return;
        }
        if (poolKey !== undefined && !ended) inflatePool.release(poolKey, inflate);
        else if (ended) inflate.close();
        resolve(result);
      };
      const onData = (chunk: Uint8Array) => {
        total += chunk.length;
        if (total > maxBytes) {
          finish(tooBig(maxBytes));
          return;
        }
        parts.push(chunk);
      };
      const onError = (err: Error) => finish(corrupt(err));
      // A final block (BFINAL) ends the zlib stream: the next message starts a new one.
      const onEnd = () => {
        ended = true;
        if (inflate === this.inflate) this.inflate = null;
      };
      inflate.on('data', onData);
      inflate.once('error', onError);
      inflate.once('end', onEnd);
      // One write, one job (the stream flushes every write): the tail joined to the data.
      const input = new Uint8Array(data.length + TAIL.length);
      input.set(data);
      input.set(TAIL, data.length);
      inflate.write(input, (error?: Error | null) => {
        if (error) return onError(error);
        // Always a copy: zlib's output chunks are views of the stream's output buffer, which
        // also holds earlier messages' bytes — another connection's, for a pooled stream.
        const out = new Uint8Array(total);
        let at = 0;
        for (const part of parts) { out.set(part, at); at += part.length; }
        finish(out);
      });
    }), now);
  }

  /**
   * decompress() done now, on this thread, when it can be: zlib runs sync here, `data` is at
   * most SYNC_INFLATE_MAX_BYTES and no async inflation of this connection is queued or
   * running. Undefined otherwise: use decompress(). Throws what decompress() rejects with
   * (1009 as soon as the output passes maxBytes, 1007 on corrupt data).
   */
  decompressNow(data: Uint8Array, maxBytes: number): Uint8Array | undefined {
    if (this.closed || this.inflating > 0 || data.length > SYNC_INFLATE_MAX_BYTES || !syncZlib()) return undefined;
    return this.inflateSync(data, maxBytes);
  }

  /** Inflates `data` (at most SYNC_INFLATE_MAX_BYTES) on this thread; no async job may be using the stream. */
  private inflateSync(data: Uint8Array, maxBytes: number): Uint8Array {
    const poolKey = this.peerNoContext ? `inflate:${this.peerWindowBits}` : undefined;
    const inflate = poolKey !== undefined
      ? inflatePool.acquire(poolKey, () => openInflate(this.peerWindowBits))
      : this.inflate ??= openInflate(this.peerWindowBits);
    // The tail joined to the data in one buffer kept for it: zlib reads it only during the call.
    const input = (syncInput ??= new Uint8Array(SYNC_INFLATE_MAX_BYTES + TAIL.length)).subarray(0, data.length + TAIL.length);
    input.set(data);
    input.set(TAIL, data.length);
    let output;
    try {
      output = runSync(inflate, input, maxBytes);
    } catch (error) {
      inflate.close(); // unusable now (the connection is failing anyway)
      if (inflate === this.inflate) this.inflate = null;
      if (error instanceof RangeError) throw tooBig(maxBytes);
      throw corrupt(error as Error);
    }
    // A final block (BFINAL) ended the zlib stream: the next message starts a new one.
    if (output.ended) {
      inflate.close();
      if (inflate === this.inflate) this.inflate = null;
    } else if (poolKey !== undefined) {
      inflatePool.release(poolKey, inflate);
    }
    return output.bytes;
  }

  /** Frees both zlib streams now; later calls reject. */
  close(): void {
    this.closed = true;
    this.deflate?.close();
    this.inflate?.close();
    this.deflate = null;
    this.inflate = null;
  }

  /** Runs `job` after every inflation queued before it; `now`, if given, instead when sync zlib is usable. */
  private serial<T>(job: () => Promise<T>, now?: () => T): Promise<T> {
    const run = () => {
      if (this.closed) return Promise.reject(new Error('permessage-deflate is closed'));
      if (now !== undefined && syncZlib()) {
        try {
          return Promise.resolve(now());
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return this.limiter.run(job);
    };
    this.inflating++;
    const result = this.chain.then(run, run);
    const settled = () => { this.inflating--; };
    this.chain = result.then(settled, settled);
    return result;
  }
}

/** An inflated message past the limit (1009), from either inflate path. */
function tooBig(maxBytes: number): ProtocolError {
  return new ProtocolError('WS_ERR_MESSAGE_TOO_BIG', 1009, `inflated message larger than ${maxBytes} bytes`);
}

/** What zlib refused (1007), from either inflate path. */
function corrupt(error: Error): ProtocolError {
  return new ProtocolError('WS_ERR_INFLATE_FAILED', 1007, `invalid compressed data: ${error.message}`);
}
