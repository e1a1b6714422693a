// Small frames written straight into the outbox's turn buffer (issue 13, target 1): the
// same bytes and order as frames queued by enqueue(), one write per turn without a join
// copy, and a pooled turn buffer back in the pool exactly when the socket is done with it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OP_BINARY, OP_TEXT } from '../../src/codec/constants';
import { Outbox, type WritableSocket } from '../../src/conn/outbox';
import { FrameWriter } from '../../src/frame/writer';
import { writePool } from '../../src/frame/write-pool';
import { availableCodecs } from '../helpers/codecs';

const turn = () => new Promise((r) => setImmediate(r));

/** A socket that keeps each written buffer as it is (no copy) and calls back when told. */
function heldSocket(): WritableSocket & { writes: Uint8Array[]; copies: Uint8Array[]; complete(): void } {
  const pending: (() => void)[] = [];
  const writes: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  return {
    writes, copies,
    write(data: Uint8Array, callback?: (error?: Error | null) => void) {
      writes.push(data);
      copies.push(data.slice());
      pending.push(() => callback?.(null));
      return true;
    },
    complete() { for (const done of pending.splice(0)) done(); },
    cork() {}, uncork() {},
    writableLength: 0, writableNeedDrain: false,
    once() { return this; },
  };
}

function sendInPlace(outbox: Outbox, writer: FrameWriter, opcode: number, payload: Uint8Array): Promise<void> {
  const size = writer.inPlaceSize(payload.length);
  expect(size).toBeGreaterThan(0);
  expect(outbox.takesInPlace).toBe(true);
  const target = outbox.inPlace(size);
  writer.frameInto(opcode, payload, target, outbox.inPlaceOffset);
  return outbox.commitInPlace(size);
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

describe.each(availableCodecs())('FrameWriter.frameInto with the $name codec', ({ codec }) => {
  it('writes the bytes frame() writes, at any offset (server)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(64), fc.boolean(), fc.boolean(), (payload, at, text, rsv1) => {
      const writer = new FrameWriter({ role: 'server', codec });
      const out: Uint8Array[] = [];
      writer.frame(text ? OP_TEXT : OP_BINARY, payload, true, rsv1, out);
      const size = writer.inPlaceSize(payload.length);
      expect(size).toBe(out[0].length);
      const target = new Uint8Array(at + size + 8).fill(0xee);
      writer.frameInto(text ? OP_TEXT : OP_BINARY, payload, target, at, rsv1);
      expect(target.subarray(at, at + size)).toEqual(out[0]);
      expect(target.subarray(0, at).every((b) => b === 0xee)).toBe(true);
      expect(target.subarray(at + size).every((b) => b === 0xee)).toBe(true);
    }));
  });

  it('masks the payload with the key in its header (client)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(64), (payload, at) => {
      const writer = new FrameWriter({ role: 'client', codec });
      const size = writer.inPlaceSize(payload.length);
      const target = new Uint8Array(at + size);
      writer.frameInto(OP_BINARY, payload, target, at);
      const frame = target.subarray(at);
      const headerLength = size - payload.length;
      expect(frame[0]).toBe(0x80 | OP_BINARY);
      expect(frame[1] & 0x80).toBe(0x80);
      const key = frame.subarray(headerLength - 4, headerLength);
      const unmasked = frame.subarray(headerLength).map((b, i) => b ^ key[i & 3]);
      expect(unmasked).toEqual(payload);
    }));
  });

  it('refuses payloads sent by reference or fragmented', () => {
    expect(new FrameWriter({ role: 'server', codec }).inPlaceSize(2049)).toBe(-1);
    expect(new FrameWriter({ role: 'server', codec, maxFrameBytes: 100 }).inPlaceSize(101)).toBe(-1);
  });
});

describe('Outbox in-place frames', () => {
  const codec = availableCodecs()[0].codec;

  it('keep their order among queued frames and control frames, and a turn of them is one write with no join', async () => {
    const socket = heldSocket();
    const outbox = new Outbox(socket);
    const writer = new FrameWriter({ role: 'server', codec });
    const expected: Uint8Array[] = [];
    const frameOf = (payload: Uint8Array) => { const out: Uint8Array[] = []; writer.frame(OP_BINARY, payload, true, false, out); return out[0]; };
    for (let i = 0; i < 16; i++) {
      const payload = new Uint8Array(32).fill(i);
      void sendInPlace(outbox, writer, OP_BINARY, payload);
      expected.push(frameOf(payload));
    }
    await turn();
    expect(socket.writes.length).toBe(1);
    expect(socket.copies[0]).toEqual(concat(expected));
    socket.complete();

    // In place, queued, a ping, in place: the wire order is the call order.
    const a = new Uint8Array(10).fill(1);
    const b = frameOf(new Uint8Array(20).fill(2));
    const ping = new Uint8Array([0x89, 0]);
    const c = new Uint8Array(5).fill(3);
    void sendInPlace(outbox, writer, OP_BINARY, a);
    void outbox.enqueue([b]);
    outbox.enqueueControl([ping]);
    void sendInPlace(outbox, writer, OP_BINARY, c);
    await turn();
    expect(concat(socket.copies.slice(1))).toEqual(concat([frameOf(a), b, ping, frameOf(c)]));
    socket.complete();
  });

  it('a pooled turn buffer goes back to the pool only once written, and is never rewritten before', async () => {
    const socket = heldSocket();
    const outbox = new Outbox(socket);
    const writer = new FrameWriter({ role: 'server', codec });
    // 16 KiB in one turn: the next turn's buffer is sized for it (a pooled one).
    for (let i = 0; i < 16; i++) void sendInPlace(outbox, writer, OP_BINARY, new Uint8Array(1000).fill(i));
    await turn();
    socket.complete();
    const idleBefore = writePool.idleByteCount;
    // A small turn in the big (pooled) buffer: its view is under the slab's size.
    void sendInPlace(outbox, writer, OP_BINARY, new Uint8Array(100).fill(7));
    await turn();
    const first = socket.writes[1];
    expect(first.length).toBe(102);
    expect(writePool.isLent(first)).toBe(true);
    // Another turn while the first write is still held: another buffer, the first untouched.
    void sendInPlace(outbox, writer, OP_BINARY, new Uint8Array(100).fill(8));
    await turn();
    expect(socket.writes[2].buffer).not.toBe(first.buffer);
    expect(first).toEqual(socket.copies[1]);
    socket.complete();
    expect(writePool.isLent(first)).toBe(false);
    expect(writePool.idleByteCount).toBeGreaterThanOrEqual(idleBefore);
  });

  it('close() with frames written in place drops them and gives a pooled buffer back, without throwing', async () => {
    const socket = heldSocket();
    const outbox = new Outbox(socket);
    const writer = new FrameWriter({ role: 'server', codec });
    for (let i = 0; i < 16; i++) void sendInPlace(outbox, writer, OP_BINARY, new Uint8Array(1000));
    await turn();
    socket.complete();
    void sendInPlace(outbox, writer, OP_BINARY, new Uint8Array(10));
    const turnBuffer = outbox.inPlace(1);
    expect(writePool.isLent(turnBuffer)).toBe(true);
    outbox.close();
    expect(writePool.isLent(turnBuffer)).toBe(false);
    outbox.close();
    outbox.flush();
    await turn();
    expect(socket.writes.length).toBe(1);
    expect(outbox.takesInPlace).toBe(false);
  });

  it('a kept payload is copied: changing it after send() does not change what is written', async () => {
    const socket = heldSocket();
    const outbox = new Outbox(socket);
    const writer = new FrameWriter({ role: 'server', codec });
    const payload = new Uint8Array(32).fill(5);
    void sendInPlace(outbox, writer, OP_BINARY, payload);
    payload.fill(6);
    await turn();
    expect(socket.copies[0].subarray(2).every((b) => b === 5)).toBe(true);
  });
});
