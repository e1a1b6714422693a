import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OP_BINARY, OP_PING, OP_TEXT } from '../../src/codec/constants';
import type { Role } from '../../src/frame/reader';
import { FrameWriter } from '../../src/frame/writer';
import { availableCodecs, referenceMask } from '../helpers/codecs';
import { concat, readChunks, split } from '../helpers/reader';

const peer: Record<Role, Role> = { server: 'client', client: 'server' };

const messageArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => ({ opcode: OP_TEXT, data: new TextEncoder().encode(s) })),
  fc.uint8Array({ maxLength: 3000 }).map((data) => ({ opcode: OP_BINARY, data })),
  fc.uint8Array({ maxLength: 125 }).map((data) => ({ opcode: OP_PING, data })),
);

describe.each(availableCodecs())('reader(writer(messages)) with the $name codec', ({ codec }) => {
  it.each(['server', 'client'] as const)('returns the same messages, in order, written by a %s', (role) => {
    fc.assert(fc.property(
      fc.array(messageArb, { maxLength: 20 }), fc.integer({ min: 1, max: 4000 }), fc.array(fc.nat(), { maxLength: 10 }),
      (messages, maxFrameBytes, cuts) => {
        const writer = new FrameWriter({ role, codec, maxFrameBytes });
        const out: Uint8Array[] = [];
        for (const m of messages) {
          if (m.opcode === OP_PING) writer.frame(OP_PING, m.data, true, false, out);
          else writer.message(m.opcode, m.data, out);
        }
        const wire = concat(out);
        const events = readChunks(codec, peer[role], split(wire, cuts.map((c) => c % (wire.length + 1))));
        expect(events.error).toBeUndefined();
        expect(events.order).toEqual(messages.map((m) => (m.opcode === OP_PING ? `control:${OP_PING}` : `message:${m.opcode}`)));
        const data = messages.filter((m) => m.opcode !== OP_PING).map((m) => Buffer.from(m.data).toString('hex'));
        expect(events.messages.map((m) => Buffer.from(m.data).toString('hex'))).toEqual(data);
      }), { numRuns: 200 });
  });
});

describe.each(availableCodecs())('the client\'s one-pass masking with the $name codec', ({ codec }) => {
  it('puts exactly mask(payload) on the wire, from unaligned views, at every size class, the payload untouched', () => {
    const writer = new FrameWriter({ role: 'client', codec });
    for (const size of [0, 1, 125, 126, 2047, 2048, 2049, 8191, 8193, 65535, 65536, 200_003, (1 << 20) + 3]) {
      for (const offset of [0, 1, 3]) {
        const backing = new Uint8Array(size + offset).map((_, i) => (i * 131 + size) & 0xff);
        const payload = backing.subarray(offset);
        const before = payload.slice();
        const out: Uint8Array[] = [];
        writer.message(OP_BINARY, payload, out);
        expect(out).toHaveLength(1);
        const wire = out[0];
        const headerLength = (size < 126 ? 2 : size < 65536 ? 4 : 10) + 4;
        const key = ((wire[headerLength - 4] << 24) | (wire[headerLength - 3] << 16) | (wire[headerLength - 2] << 8) | wire[headerLength - 1]) >>> 0;
        const expected = before.slice();
        referenceMask(expected, 0, expected.length, key, 0);
        expect(wire.length).toBe(headerLength + size);
        expect(Buffer.compare(wire.subarray(headerLength), expected)).toBe(0);
        expect(Buffer.compare(payload, before)).toBe(0);
      }
    }
  });
});

describe('FrameWriter', () => {
  const { codec } = availableCodecs()[0];

  it('sends a large server payload without copying it', () => {
    const payload = new Uint8Array(100_000);
    const out: Uint8Array[] = [];
    new FrameWriter({ role: 'server', codec }).message(OP_BINARY, payload, out);
    expect(out).toHaveLength(2);
    expect(out[1]).toBe(payload);
  });

  it('masks every client frame with a fresh key and leaves the payload untouched', () => {
    const payload = new Uint8Array(64).fill(7);
    const out: Uint8Array[] = [];
    const writer = new FrameWriter({ role: 'client', codec });
    writer.message(OP_BINARY, payload, out);
    writer.message(OP_BINARY, payload, out);
    expect(payload.every((b) => b === 7)).toBe(true);
    const keyOf = (frame: Uint8Array) => Buffer.from(frame.subarray(2, 6)).toString('hex');
    expect(out[0][1] & 0x80).toBe(0x80);
    expect(keyOf(out[0])).not.toBe(keyOf(out[1]));
  });

  it('sets RSV1 on the first fragment only and FIN on the last only', () => {
    const out: Uint8Array[] = [];
    new FrameWriter({ role: 'server', codec, maxFrameBytes: 10 }).message(OP_TEXT, new Uint8Array(25), out, true);
    expect(out.map((f) => f[0].toString(16))).toEqual(['41', '0', '80']);
  });
});
