import { randomBytes } from 'node:crypto';
import { constants, createDeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProtocolError } from '../../src/errors';
import { PerMessageDeflate, SYNC_DEFLATE_MAX_BYTES, SYNC_INFLATE_MAX_BYTES } from '../../src/extensions/permessage-deflate';
import { syncZlib } from '../../src/extensions/zlib-pool';

/*
 * A job queued behind an async one (a large message in zlib's threadpool) is done on this
 * thread once its turn comes, when it is small: otherwise every message of a busy connection
 * that arrives while one is still queued takes the threadpool too, and the queue may never
 * drain (request/response with several messages in flight).
 */

const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const text = (n: number) => new TextEncoder().encode('{"id":1,"name":"sync at its turn"},'.repeat(n));
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** The native zlib handle's writeSync, which only the sync path calls. */
function spyWriteSync() {
  expect(syncZlib()).toBe(true); // the self-check's own calls are done before the spy
  const proto = Object.getPrototypeOf((createDeflateRaw() as unknown as { _handle: object })._handle) as { writeSync: (...args: unknown[]) => void };
  return vi.spyOn(proto, 'writeSync');
}

afterEach(() => { vi.restoreAllMocks(); });

describe('a small job queued behind an async one (permessage-deflate.ts)', () => {
  it('compresses at its turn on this thread, in order, with the context kept', async () => {
    const writeSync = spyWriteSync();
    const deflate = new PerMessageDeflate(params, 'server');
    const big = new Uint8Array(randomBytes(SYNC_DEFLATE_MAX_BYTES + 1));
    const small = [text(20), text(20), text(30)];
    const jobs = [deflate.compress(big), ...small.map((m) => deflate.compress(m))];
    expect(deflate.compressNow(text(1))).toBeUndefined(); // the queue still holds them
    const out = await Promise.all(jobs);
    expect(writeSync).toHaveBeenCalledTimes(small.length); // the big one took the threadpool, the rest did not
    // One stream of messages (context takeover): the second copy of the text costs a few bytes.
    expect(out[2].length).toBeLessThan(20);
    const wire = Buffer.concat(out.flatMap((m) => [Buffer.from(m), TAIL]));
    expect(Buffer.from(inflateRawSync(wire, { finishFlush: constants.Z_SYNC_FLUSH }))).toEqual(Buffer.concat([big, ...small]));
    deflate.close();
  });

  it('inflates at its turn on this thread, in order; a failure there rejects as the async path does', async () => {
    const peer = createDeflateRaw({ flush: constants.Z_SYNC_FLUSH });
    const compress = (m: Uint8Array) => new Promise<Uint8Array>((resolve) => {
      const parts: Buffer[] = [];
      const onData = (c: Buffer) => parts.push(c);
      peer.on('data', onData);
      peer.write(m, () => { peer.off('data', onData); const all = Buffer.concat(parts); resolve(all.subarray(0, all.length - 4)); });
    });
    const big = new Uint8Array(randomBytes(SYNC_INFLATE_MAX_BYTES * 2));
    const messages = [big, text(20), text(20)];
    const wire: Uint8Array[] = [];
    for (const m of messages) wire.push(await compress(m));
    peer.close();
    expect(wire[0].length).toBeGreaterThan(SYNC_INFLATE_MAX_BYTES);
    const writeSync = spyWriteSync();
    const inflate = new PerMessageDeflate(params, 'client');
    const jobs = wire.map((w) => inflate.decompress(w, 1 << 20));
    const corrupt = inflate.decompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 1 << 20).catch((e: unknown) => e);
    const out = await Promise.all(jobs);
    expect(out.map((m) => Buffer.from(m))).toEqual(messages.map((m) => Buffer.from(m)));
    const error = await corrupt;
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).closeCode).toBe(1007);
    expect(writeSync).toHaveBeenCalledTimes(3); // the two small ones and the corrupt one
    inflate.close();
  });

  it('stops a bomb queued behind an async job at maxBytes with 1009', async () => {
    const bomb = deflateRawSync(Buffer.alloc(4 << 20), { level: 9, finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const inflate = new PerMessageDeflate(params, 'client');
    const first = inflate.decompress(deflateRawSync(randomBytes(SYNC_INFLATE_MAX_BYTES * 2), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4), 1 << 20);
    const error = await inflate.decompress(bomb, 1 << 20).catch((e: unknown) => e);
    expect((await first).length).toBe(SYNC_INFLATE_MAX_BYTES * 2);
    expect((error as ProtocolError).closeCode).toBe(1009);
    inflate.close();
  });

  it('rejects a job still queued when close() is called, sync or not', async () => {
    const deflate = new PerMessageDeflate(params, 'server');
    const big = deflate.compress(new Uint8Array(randomBytes(SYNC_DEFLATE_MAX_BYTES + 1))).catch((e: unknown) => e);
    const small = deflate.compress(text(10)).catch((e: unknown) => e);
    const inflate = new PerMessageDeflate(params, 'client');
    const slow = inflate.decompress(new Uint8Array(SYNC_INFLATE_MAX_BYTES + 1), 1 << 20).catch((e: unknown) => e);
    const queued = inflate.decompress(new Uint8Array([0x02, 0x00]), 100).catch((e: unknown) => e);
    deflate.close();
    inflate.close();
    expect(String(await small)).toMatch(/closed/);
    expect(String(await queued)).toMatch(/closed/);
    await big;
    await slow;
  });
});
