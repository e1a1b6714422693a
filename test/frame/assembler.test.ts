import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameCodec } from '../../src/codec/codec';
import { OP_BINARY, OP_PING } from '../../src/codec/constants';
import { MAX_UNBACKED_CAPACITY } from '../../src/frame/assembler';
import { FrameReader } from '../../src/frame/reader';
import { availableCodecs } from '../helpers/codecs';
import { clientFrame } from '../helpers/frames';

/** A reader whose handler keeps what it is given as is (no copy), to see the buffers themselves. */
function rawReader(codec: FrameCodec, maxMessageBytes = 64 << 20) {
  const messages: Uint8Array[] = [];
  const controls: Uint8Array[] = [];
  const reader = new FrameReader({ role: 'server', codec, maxMessageBytes }, {
    onMessage: (_opcode, data) => messages.push(data),
    onControl: (_opcode, payload) => controls.push(payload),
    onError: (error) => { throw error; },
  });
  return { reader, messages, controls };
}

/** A masked binary frame header announcing `length` bytes (64-bit length form), key 0. */
function hugeHeader(length: number): Uint8Array {
  const out = new Uint8Array(14);
  out[0] = 0x80 | OP_BINARY;
  out[1] = 0x80 | 127;
  new DataView(out.buffer).setBigUint64(2, BigInt(length));
  return out; // mask key 0: the payload goes through unchanged
}

describe.each(availableCodecs())('MessageAssembler with the $name codec', ({ codec }) => {
  it('commits no more than MAX_UNBACKED_CAPACITY for a header announcing 64 MiB with one byte behind it', () => {
    const readers = Array.from({ length: 17 }, () => rawReader(codec)); // all kept alive to the end
    const before = process.memoryUsage().arrayBuffers;
    for (const { reader } of readers) reader.push(Uint8Array.from([...hugeHeader(64 << 20), 7]));
    expect(readers.every((r) => r.messages.length === 0)).toBe(true);
    // 17 × 64 MiB announced; committed: 17 × 64 KiB at most (plus noise).
    expect(MAX_UNBACKED_CAPACITY).toBeLessThanOrEqual(64 << 10);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(17 * (64 << 10) + (4 << 20));
  });

  it('joins a split single-frame message once, exactly sized', () => {
    const { reader, messages } = rawReader(codec);
    const payload = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
    const bytes = clientFrame(OP_BINARY, payload);
    for (let at = 0; at < bytes.length; at += 5000) reader.push(bytes.slice(at, at + 5000));
    expect(messages).toHaveLength(1);
    expect(Buffer.compare(messages[0], payload)).toBe(0);
    expect(messages[0].buffer.byteLength).toBe(payload.length); // no overallocated tail the user can reach
  });

  it('joins a fragmented message exactly sized at maxMessageBytes', () => {
    const limit = 100_000;
    const { reader, messages } = rawReader(codec, limit);
    const payload = new Uint8Array(limit).map((_, i) => (i * 17) & 0xff);
    const parts = [0, 1000, 70_000, limit];
    for (let p = 0; p < parts.length - 1; p++) {
      const bytes = clientFrame(p === 0 ? OP_BINARY : 0, payload.subarray(parts[p], parts[p + 1]), { fin: p === parts.length - 2 });
      for (let at = 0; at < bytes.length; at += 3000) reader.push(bytes.slice(at, at + 3000));
    }
    expect(messages).toHaveLength(1);
    expect(Buffer.compare(messages[0], payload)).toBe(0);
    expect(messages[0].buffer.byteLength).toBe(limit);
  });

  it('joins a 1 MiB frame read in 64 KiB chunks into one exact buffer, the chunks unchanged in size', () => {
    const { reader, messages } = rawReader(codec);
    const payload = new Uint8Array(1 << 20).map((_, i) => (i * 7 + (i >> 9)) & 0xff);
    const bytes = clientFrame(OP_BINARY, payload);
    for (let at = 0; at < bytes.length; at += 65536) reader.push(bytes.slice(at, at + 65536));
    expect(messages).toHaveLength(1);
    expect(Buffer.compare(messages[0], payload)).toBe(0);
    expect(messages[0].buffer.byteLength).toBe(payload.length);
  });

  it('delivers every message intact and exactly sized, whatever the frames and the read boundaries', () => {
    fc.assert(fc.property(
      fc.array(fc.record({
        size: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 70_000 })),
        parts: fc.integer({ min: 1, max: 4 }),
      }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70_000 })), { minLength: 1, maxLength: 8 }),
      (specs, cuts) => {
        const { reader, messages } = rawReader(codec);
        const payloads = specs.map(({ size }, m) => new Uint8Array(size).map((_, i) => (i * 13 + m * 101) & 0xff));
        const frames: Uint8Array[] = [];
        specs.forEach(({ parts }, m) => {
          const p = payloads[m];
          for (let k = 0; k < parts; k++) {
            const piece = p.subarray(Math.floor((p.length * k) / parts), Math.floor((p.length * (k + 1)) / parts));
            frames.push(clientFrame(k === 0 ? OP_BINARY : 0, piece, { fin: k === parts - 1, key: (0x9e3779b9 * (m + k + 1)) >>> 0 }));
          }
        });
        const wire = Buffer.concat(frames);
        for (let at = 0, c = 0; at < wire.length; c++) {
          const next = Math.min(wire.length, at + cuts[c % cuts.length]);
          reader.push(wire.slice(at, next));
          at = next;
        }
        expect(messages).toHaveLength(payloads.length);
        messages.forEach((message, m) => {
          expect(Buffer.compare(message, payloads[m])).toBe(0);
          if (specs[m].parts > 1 || message.byteOffset === 0) expect(message.buffer.byteLength).toBe(payloads[m].length);
        });
      },
    ), { numRuns: 60 });
  });

  it('gives control payloads a buffer of their own, never a shared one', () => {
    const { reader, controls } = rawReader(codec);
    reader.push(clientFrame(OP_PING, 'first ping'));
    reader.push(clientFrame(OP_PING, 'second'));
    const split = clientFrame(OP_PING, 'split ping');
    reader.push(split.slice(0, 8));
    reader.push(split.slice(8));
    expect(controls.map((c) => new TextDecoder().decode(c))).toEqual(['first ping', 'second', 'split ping']);
    for (const payload of controls) expect(payload.buffer.byteLength).toBe(payload.length);
  });
});
