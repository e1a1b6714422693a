import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameCodec, FrameHeader } from '../../src/codec/codec';
import {
  SCAN_ALLOW_RSV1, SCAN_FORBID_MASK, SCAN_RECORD_FIELDS, SCAN_REQUIRE_MASK, SCAN_STATE_FIELDS,
  ST_CONSUMED, ST_MAX_MESSAGE_BYTES, ST_OPTIONS, ST_STATUS, UTF8_ACCEPT, UTF8_REJECT,
} from '../../src/codec/constants';
import { randomBytes } from '../../src/bench/inputs';
import { availableCodecs } from '../helpers/codecs';
import { clientFrame } from '../helpers/frames';
import { concat } from '../helpers/reader';

const [reference, ...others] = availableCodecs();

/** Deterministic pseudo-random bytes (cheaper than fast-check arrays at 256 KiB). */
const bytesFrom = (seed: number, length: number) => randomBytes(length, seed);

function newHeader(): FrameHeader {
  return { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
}

/** UTF-8-ish input: valid text with random bytes spliced in, so both outcomes are common. */
const utf8ish = fc.tuple(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }))
  .map(([s, edits]) => {
    const bytes = new TextEncoder().encode(s);
    for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return bytes;
  });

describe.each(others)('$name codec ≡ js codec', ({ codec }) => {
  it('masks identically (lengths to 256 KiB, offsets 0-15, phases 0-3)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 256 * 1024 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 0xffffffff }), fc.integer(),
      (length, offset, phase, key, seed) => {
        const a = bytesFrom(seed, length + offset);
        const b = a.slice();
        expect(codec.mask(a, offset, offset + length, key, phase)).toBe(reference.codec.mask(b, offset, offset + length, key, phase));
        expect(Buffer.compare(a, b)).toBe(0);
      }), { numRuns: 150 });
  });

  it('validates UTF-8 identically, at any split, and as TextDecoder(fatal) does', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(fc.property(utf8ish, fc.nat(), (bytes, cut) => {
      const at = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
      const whole = codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT);
      expect(whole).toBe(reference.codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT));
      const first = codec.utf8(bytes, 0, at, UTF8_ACCEPT);
      const split = first === UTF8_REJECT ? UTF8_REJECT : codec.utf8(bytes, at, bytes.length, first);
      expect(split).toBe(whole);
      let valid = true;
      try { decoder.decode(bytes); } catch { valid = false; }
      expect(whole === UTF8_ACCEPT).toBe(valid);
    }), { numRuns: 2000 });
  });

  it('validates long mostly-ASCII text identically (SIMD skip boundaries)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0x80, max: 0xff }), (length, at, byte) => {
      const bytes = new Uint8Array(length).fill(0x61);
      if (length > 0) bytes[at % length] = byte;
      expect(codec.utf8(bytes, 0, length, UTF8_ACCEPT)).toBe(reference.codec.utf8(bytes, 0, length, UTF8_ACCEPT));
    }), { numRuns: 500 });
  });

  it('parses random header bytes identically', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 16 }), (bytes) => {
      const a = newHeader();
      const b = newHeader();
      const got = codec.parseHeader(bytes, 0, bytes.length, a);
      expect(got).toBe(reference.codec.parseHeader(bytes, 0, bytes.length, b));
      if (got > 0) expect(a).toEqual(b);
    }), { numRuns: 5000 });
  });

  it('writes headers identically', () => {
    fc.assert(fc.property(
      fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 15 }), fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }),
      fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      (fin, rsv1, opcode, masked, maskKey, payloadLength) => {
        const h = { ...newHeader(), fin, rsv1, opcode, masked, maskKey, payloadLength };
        const a = new Uint8Array(20);
        const b = new Uint8Array(20);
        expect(codec.writeHeader(a, 20, h)).toBe(reference.codec.writeHeader(b, 20, h));
        expect(a).toEqual(b);
      }), { numRuns: 2000 });
  });

  it('scans any byte stream identically: records, state and unmasked bytes', () => {
    const frameArb = fc.record({
      opcode: fc.constantFrom(0, 1, 2, 8, 9, 10, 3),
      fin: fc.boolean(),
      rsv1: fc.boolean(),
      payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), utf8ish),
    });
    fc.assert(fc.property(
      fc.array(frameArb, { maxLength: 12 }), fc.constantFrom(SCAN_REQUIRE_MASK, SCAN_FORBID_MASK, SCAN_REQUIRE_MASK | SCAN_ALLOW_RSV1),
      fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 0, max: 2000 }),
      (frames, options, cuts, maxBytes) => {
        const stream = concat(frames.map((f) => clientFrame(f.opcode, f.payload, { fin: f.fin, rsv1: f.rsv1 })));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
        const run = (c: FrameCodec) => {
          const bytes = stream.slice();
          const state = new Float64Array(SCAN_STATE_FIELDS);
          state[ST_OPTIONS] = options;
          state[ST_MAX_MESSAGE_BYTES] = maxBytes;
          const out: number[][] = [];
          let start = 0;
          for (const end of [...points, bytes.length]) {
            if (end < start) continue;
            const records = new Float64Array(64 * SCAN_RECORD_FIELDS);
            const count = c.scan(bytes, start, end, state, records);
            out.push([...records.subarray(0, count * SCAN_RECORD_FIELDS)], [...state]);
            start += state[ST_CONSUMED];
            if (state[ST_STATUS] !== 0) break;
          }
          return { out, bytes };
        };
        const a = run(codec);
        const b = run(reference.codec);
        expect(a.out).toEqual(b.out);
        expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
      }), { numRuns: 1500 });
  });
});
