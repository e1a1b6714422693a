// The outbox as a line of work items, on a fake socket (no I/O): order, accounting, close.
import { describe, expect, it } from 'vitest';
import { CloseError } from '../../src/errors';
import { Outbox, type WritableSocket } from '../../src/conn/outbox';

/** A socket that records what is written, one byte-string per frame's first byte. */
function fakeSocket(): WritableSocket & { written: number[] } {
  const written: number[] = [];
  return {
    written,
    write(data: Uint8Array, callback?: (error?: Error | null) => void) {
      // Joined writes hold several 1-byte frames: record each.
      for (const byte of data) written.push(byte);
      callback?.(null);
      return true;
    },
    cork() {},
    uncork() {},
    writableLength: 0,
    writableNeedDrain: false,
    once() { return this; },
  };
}

const f = (id: number) => new Uint8Array([id]);
const turn = () => new Promise((r) => setImmediate(r));

describe('Outbox work line', () => {
  it('keeps send order across work still being compressed, and counts it in bufferedAmount meanwhile', async () => {
    const socket = fakeSocket();
    const outbox = new Outbox(socket);
    void outbox.enqueue([f(1)]);
    const pending = outbox.reserve(1000);
    const afterPending = outbox.enqueue([f(3)]);
    expect(outbox.bufferedAmount).toBe(1 + 1000 + 1);
    await turn();
    expect(socket.written).toEqual([1]); // 3 waits for 2
    outbox.fill(pending, [f(2)]);
    await afterPending;
    expect(socket.written).toEqual([1, 2, 3]);
    expect(outbox.bufferedAmount).toBe(0);
  });

  it('lets control frames overtake waiting work, never the close frame', async () => {
    const socket = fakeSocket();
    const outbox = new Outbox(socket);
    const pending = outbox.reserve(10);
    let closeWritten = false;
    outbox.enqueueClose(f(8), () => { closeWritten = true; });
    outbox.enqueueControl([f(9)]); // a ping
    await turn();
    expect(socket.written).toEqual([9]);
    expect(closeWritten).toBe(false);
    outbox.fill(pending, [f(2)]);
    await turn();
    expect(socket.written).toEqual([9, 2, 8]);
    expect(closeWritten).toBe(true);
  });

  it('a stream holds its place until its last frame; work behind it waits', async () => {
    const socket = fakeSocket();
    const outbox = new Outbox(socket);
    const stream = outbox.openStream();
    const behind = outbox.enqueue([f(5)]);
    await outbox.appendStream(stream, [f(1)], false);
    expect(socket.written).toEqual([1]);
    await outbox.appendStream(stream, [f(2)], true);
    await behind;
    expect(socket.written).toEqual([1, 2, 5]);
  });

  it('a failing close cuts an open stream: the close follows its fragments, work behind it is dropped', async () => {
    const socket = fakeSocket();
    const outbox = new Outbox(socket);
    const stream = outbox.openStream();
    await outbox.appendStream(stream, [f(1)], false);
    const behind = outbox.enqueue([f(5)]).catch((e: unknown) => e);
    const pendingBehind = outbox.reserve(100);
    outbox.enqueueClose(f(8), () => {}, true);
    await turn();
    expect(socket.written).toEqual([1, 8]);
    expect(await behind).toBeInstanceOf(Error);
    outbox.fill(pendingBehind, [f(6)]); // too late: ignored
    await expect(outbox.appendStream(stream, [f(2)], false)).rejects.toThrow(/cut short/);
    await turn();
    expect(socket.written).toEqual([1, 8]);
    expect(outbox.bufferedAmount).toBe(0);
  });

  it('cancel() takes reserved work out of the line and lets the rest go', async () => {
    const socket = fakeSocket();
    const outbox = new Outbox(socket);
    const failed = outbox.reserve(10);
    const failedWritten = outbox.whenWritten(failed).catch((e: unknown) => e);
    const after = outbox.enqueue([f(4)]);
    outbox.cancel(failed, new Error('deflate failed'));
    await after;
    expect(socket.written).toEqual([4]);
    expect(String(await failedWritten)).toMatch(/deflate failed/);
    expect(outbox.bufferedAmount).toBe(0);
  });

  it('close() rejects every waiter, pending and queued, with its error', async () => {
    const outbox = new Outbox(fakeSocket());
    const pending = outbox.reserve(10);
    const waits = [outbox.whenWritten(pending), outbox.enqueue([f(1)]), outbox.enqueue([f(2)])];
    const error = new CloseError(1006, '', false);
    outbox.close(error);
    for (const w of waits) await expect(w).rejects.toBe(error);
    expect(outbox.bufferedAmount).toBe(0);
    await expect(outbox.enqueue([f(3)])).rejects.toBe(error);
  });
});
