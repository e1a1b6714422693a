// NativeSocket (Bun's and Deno's own sockets) holds writes between cork() and uncork() and
// joins the queue's head before a send: one send per turn, as node:net's writev makes one.
import { describe, expect, it } from 'vitest';
import { NativeSocket } from '../../src/transport/native-socket';

/** Takes at most `room` bytes per send (Infinity: everything) and records each send. */
class FakeSocket extends NativeSocket {
  readonly sends: Uint8Array[] = [];
  room = Infinity;
  fin = -1;
  protected send(): void {
    for (;;) {
      this.joinHead();
      const head = this.queue[0];
      const n = Math.min(head.length, this.room);
      this.sends.push(head.slice(0, n));
      this.wrote(n);
      if (n < head.length) return;
      if (this.queue.length === 0) return this.drained();
    }
  }
  /** The peer reads again: what waits goes on (Bun's drain handler). */
  readAgain(): void {
    this.room = Infinity;
    if (this.queue.length > 0) this.send();
  }
  protected shutdown(): void { this.fin = this.sends.length; }
  protected terminate(): void { this.closedNow(); }
  protected setReading(): void {}
  get wire(): Buffer { return Buffer.concat(this.sends); }
}

const chunk = (i: number, size = 10) => new Uint8Array(size).fill(i & 0xff);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('NativeSocket cork()/uncork()', () => {
  it('a corked turn of many small writes goes in one send, intact, in order, callbacks in order', async () => {
    const socket = new FakeSocket();
    const calls: number[] = [];
    const expected: Uint8Array[] = [];
    socket.cork();
    for (let i = 0; i < 100; i++) {
      expected.push(chunk(i, 1 + (i % 7)));
      socket.write(expected[i], () => calls.push(i));
    }
    expect(socket.sends.length).toBe(0); // held until uncork()
    socket.uncork();
    expect(socket.sends.length).toBe(1);
    expect(socket.wire.equals(Buffer.concat(expected))).toBe(true);
    await tick();
    expect(calls).toEqual([...Array(100).keys()]);
  });

  it('nested corks: only the outermost uncork() sends', () => {
    const socket = new FakeSocket();
    socket.cork();
    socket.cork();
    socket.write(chunk(1));
    socket.uncork();
    expect(socket.sends.length).toBe(0);
    socket.write(chunk(2));
    socket.uncork();
    expect(socket.sends.length).toBe(1);
    expect(socket.wire.equals(Buffer.concat([chunk(1), chunk(2)]))).toBe(true);
  });

  it('a header with its 64 KiB payload goes joined; a larger chunk goes alone, in order', async () => {
    const socket = new FakeSocket();
    const header = chunk(1, 10);
    const payload = chunk(2, 64 * 1024);
    const big = chunk(3, 300 * 1024);
    const calls: string[] = [];
    socket.cork();
    socket.write(header, () => calls.push('header'));
    socket.write(payload, () => calls.push('payload'));
    socket.write(big, () => calls.push('big'));
    socket.write(chunk(4), () => calls.push('after'));
    socket.uncork();
    expect(socket.sends.map((s) => s.length)).toEqual([10 + 64 * 1024, 300 * 1024, 10]);
    expect(socket.wire.equals(Buffer.concat([header, payload, big, chunk(4)]))).toBe(true);
    await tick();
    expect(calls).toEqual(['header', 'payload', 'big', 'after']);
  });

  it('a join stops at 256 KiB', () => {
    const socket = new FakeSocket();
    socket.cork();
    for (let i = 0; i < 10; i++) socket.write(chunk(i, 60 * 1024));
    socket.uncork();
    expect(socket.sends.map((s) => s.length)).toEqual([240, 240, 120].map((k) => k * 1024));
  });

  it('end() while corked: the corked bytes go, then our FIN', () => {
    const socket = new FakeSocket();
    socket.cork();
    socket.write(chunk(1));
    socket.write(chunk(2));
    socket.end();
    expect(socket.wire.equals(Buffer.concat([chunk(1), chunk(2)]))).toBe(true);
    expect(socket.fin).toBe(1); // after the one (joined) send
    socket.uncork(); // the caller's own uncork() changes nothing
    expect(socket.sends.length).toBe(1);
  });

  it('destroy() while corked: nothing goes, no callback', async () => {
    const socket = new FakeSocket();
    const calls: number[] = [];
    socket.cork();
    socket.write(chunk(1), () => calls.push(1));
    socket.destroy();
    socket.uncork();
    await tick();
    expect(socket.sends.length).toBe(0);
    expect(calls).toEqual([]);
  });

  it('backpressure: with a peer that stops reading, write() returns false at the same mark, drain follows, nothing lost', async () => {
    const socket = new FakeSocket();
    socket.room = 100;
    const calls: number[] = [];
    let drains = 0;
    socket.on('drain', () => drains++);
    const returns: boolean[] = [];
    const expected: Uint8Array[] = [];
    socket.cork();
    for (let i = 0; i < 40; i++) {
      expected.push(chunk(i, 1000));
      returns.push(socket.write(expected[i], () => calls.push(i)));
    }
    socket.uncork();
    // 16 KiB is node:net's mark: the 17th 1000-byte write crosses it.
    expect(returns.indexOf(false)).toBe(16);
    expect(socket.writableNeedDrain).toBe(true);
    expect(socket.writableLength).toBe(40 * 1000 - 100);
    await tick();
    expect(calls).toEqual([]); // the joined chunk is not written yet
    socket.readAgain();
    expect(drains).toBe(1);
    expect(socket.writableLength).toBe(0);
    expect(socket.wire.equals(Buffer.concat(expected))).toBe(true);
    await tick();
    expect(calls).toEqual([...Array(40).keys()]);
  });

  it('writes queued behind a partly written head are joined when the peer reads again', () => {
    const socket = new FakeSocket();
    socket.room = 5;
    socket.write(chunk(1)); // 5 of 10 go
    for (let i = 2; i < 20; i++) socket.write(chunk(i));
    expect(socket.sends.length).toBe(1);
    socket.readAgain();
    expect(socket.sends.length).toBe(2); // the rest of the head and the 18 after it, in one
    expect(socket.wire.equals(Buffer.concat([...Array(19).keys()].map((i) => chunk(i + 1))))).toBe(true);
  });
});
