import { constants, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { ProtocolError } from '../errors';
import type { CompressionOptions, DeflateParams } from './deflate-negotiation';
import { Limiter } from './limiter';
import { deflatePool, inflatePool, openDeflate, openInflate, type DeflateSettings } from './zlib-pool';

/** The empty stored block every compressed message ends with, removed on the wire. RFC 7692 §7.2.1. */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

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

/**
 * Deflates `data` with `deflate` up to a sync flush (RFC 7692 §7.2.1), tail removed. Rejects
 * if the stream fails or is closed meanwhile (its flush callback then gets an error: the
 * output would be truncated).
 */
function deflateWith(deflate: DeflateRaw, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let total = 0;
    const onData = (chunk: Uint8Array) => { parts.push(chunk); total += chunk.length; };
    const done = (error?: Error | null) => {
      deflate.off('data', onData);
      deflate.off('error', done);
      if (error) {
        reject(error);
        return;
      }
      let out = concat(parts, total);
      if (out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 && out[out.length - 2] === 0xff && out[out.length - 1] === 0xff) {
        out = out.subarray(0, out.length - 4);
      }
      resolve(new Uint8Array(out.buffer, out.byteOffset, out.length));
    };
    deflate.on('data', onData);
    deflate.once('error', done);
    deflate.write(data);
    deflate.flush(constants.Z_SYNC_FLUSH, done);
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
      return this.limiter.run(() => deflateWith(this.deflate ??= openDeflate(this.deflateSettings), data));
    };
    const result = this.deflateChain.then(run, run);
    this.deflateChain = result.catch(() => {});
    return result;
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
          finish(new ProtocolError('WS_ERR_MESSAGE_TOO_BIG', 1009, `inflated message larger than ${maxBytes} bytes`));
          return;
        }
        parts.push(chunk);
      };
      const onError = (err: Error) => finish(new ProtocolError('WS_ERR_INFLATE_FAILED', 1007, `invalid compressed data: ${err.message}`));
      // A final block (BFINAL) ends the zlib stream: the next message starts a new one.
      const onEnd = () => {
        ended = true;
        if (inflate === this.inflate) this.inflate = null;
      };
      inflate.on('data', onData);
      inflate.once('error', onError);
      inflate.once('end', onEnd);
      inflate.write(data);
      inflate.write(TAIL);
      inflate.flush(constants.Z_SYNC_FLUSH, () => {
        // Always a copy: zlib's output chunks are views of the stream's output buffer, which
        // also holds earlier messages' bytes — another connection's, for a pooled stream.
        const out = new Uint8Array(total);
        let at = 0;
        for (const part of parts) { out.set(part, at); at += part.length; }
        finish(out);
      });
    }));
  }

  /** Frees both zlib streams now; later calls reject. */
  close(): void {
    this.closed = true;
    this.deflate?.close();
    this.inflate?.close();
    this.deflate = null;
    this.inflate = null;
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = () => {
      if (this.closed) return Promise.reject(new Error('permessage-deflate is closed'));
      return this.limiter.run(job);
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }
}
