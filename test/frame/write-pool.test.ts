import { describe, expect, it } from 'vitest';
import { Outbox, type WritableSocket } from '../../src/conn/outbox';
import { isPooledOutput, takeOutput, WriteBufferPool, writePool } from '../../src/frame/write-pool';

describe('WriteBufferPool', () => {
  it('lends power-of-two buffers and lends a given-back one again', () => {
    const pool = new WriteBufferPool();
    const a = pool.take(20_000);
    expect(a.length).toBe(20_000);
    expect(a.buffer.byteLength).toBe(32 * 1024);
    expect(pool.isLent(a)).toBe(true);
    pool.give(a);
    expect(pool.isLent(a)).toBe(false);
    expect(pool.idleByteCount).toBe(32 * 1024);
    const b = pool.take(30_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.idleByteCount).toBe(0);
    expect(pool.take(17_000).buffer).not.toBe(a.buffer); // b still has it
  });

  it('ignores a second give and buffers it never lent', () => {
    const pool = new WriteBufferPool();
    const a = pool.take(16 * 1024);
    pool.give(a);
    pool.give(a);
    pool.give(new Uint8Array(16 * 1024));
    expect(pool.idleByteCount).toBe(16 * 1024);
    expect(pool.take(100).buffer).toBe(a.buffer);
    expect(pool.take(100).buffer).not.toBe(a.buffer);
  });

  it('keeps at most its idle limit, and never pools what is larger than its largest class', () => {
    const pool = new WriteBufferPool(64 * 1024);
    const lent = Array.from({ length: 6 }, () => pool.take(16 * 1024));
    for (const buffer of lent) pool.give(buffer);
    expect(pool.idleByteCount).toBe(64 * 1024);
    const huge = pool.take(2 * 1024 * 1024);
    expect(pool.isLent(huge)).toBe(false);
    pool.give(huge);
    expect(pool.idleByteCount).toBe(64 * 1024);
  });
});

describe('takeOutput and the Outbox', () => {
  /** A socket that records writes and completes them when told. */
  function fakeSocket() {
    const writes: { data: Uint8Array; copy: Uint8Array; done?: () => void }[] = [];
    const socket: WritableSocket = {
      write(data, callback) { writes.push({ data, copy: data.slice(), done: callback && (() => callback()) }); return true; },
      cork() {}, uncork() {}, writableLength: 0, writableNeedDrain: false, once() {},
    };
    return { socket, writes };
  }

  it('takes small output from the slab and large output from the pool', () => {
    expect(isPooledOutput(takeOutput(100))).toBe(false);
    expect(isPooledOutput(takeOutput(8 * 1024))).toBe(false);
    const large = takeOutput(8 * 1024 + 1);
    expect(isPooledOutput(large)).toBe(true);
    writePool.give(large);
  });

  it('gives a pooled frame back only once the socket has written it', () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    const frame = takeOutput(40_000).fill(9);
    outbox.enqueue([frame]);
    outbox.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0].data).toBe(frame);
    expect(writePool.isLent(frame)).toBe(true); // the socket may still be reading it
    writes[0].done!();
    expect(writePool.isLent(frame)).toBe(false);
    expect(writePool.take(40_000).buffer).toBe(frame.buffer);
  });

  it('joins a turn\'s frames into one write, giving back the pooled ones it copied', () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    const small = new Uint8Array([1, 2, 3]);
    const pooled = takeOutput(20_000).fill(7);
    outbox.enqueue([small, pooled]);
    outbox.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0].data.length).toBe(20_003);
    expect(Array.from(writes[0].copy.subarray(0, 5))).toEqual([1, 2, 3, 7, 7]);
    expect(writePool.isLent(pooled)).toBe(false);
    expect(isPooledOutput(writes[0].data)).toBe(true);
    writes[0].done!();
    expect(writePool.isLent(writes[0].data)).toBe(false);
  });
});
