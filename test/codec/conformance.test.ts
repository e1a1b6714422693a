import { describe, expect, it } from 'vitest';
import type { FrameHeader } from '../../src/codec/codec';
import {
  STATUS_BAD_OPCODE, STATUS_CONTROL_TOO_LONG, STATUS_FRAGMENTED_CONTROL, STATUS_LENGTH_TOP_BIT,
  STATUS_LENGTH_UNSAFE, UTF8_ACCEPT, UTF8_REJECT,
} from '../../src/codec/constants';
import { bad, rfc } from '../fixtures/frames';
import { availableCodecs, hex, referenceMask } from '../helpers/codecs';

function newHeader(): FrameHeader {
  return { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
}

const encoder = new TextEncoder();

describe.each(availableCodecs())('$name codec', ({ codec }) => {
  describe('parseHeader', () => {
    it('reads the RFC 6455 §5.7 examples', () => {
      const h = newHeader();
      expect(codec.parseHeader(rfc.unmaskedHello, 0, rfc.unmaskedHello.length, h)).toBe(2);
      expect(h).toMatchObject({ fin: true, opcode: 1, masked: false, payloadLength: 5, headerLength: 2 });
      expect(codec.parseHeader(rfc.maskedHello, 0, rfc.maskedHello.length, h)).toBe(6);
      expect(h).toMatchObject({ fin: true, opcode: 1, masked: true, maskKey: 0x37fa213d, payloadLength: 5 });
      expect(codec.parseHeader(rfc.fragmentedHel, 0, 5, h)).toBe(2);
      expect(h).toMatchObject({ fin: false, opcode: 1, payloadLength: 3 });
      expect(codec.parseHeader(rfc.fragmentedLo, 0, 4, h)).toBe(2);
      expect(h).toMatchObject({ fin: true, opcode: 0, payloadLength: 2 });
      expect(codec.parseHeader(rfc.unmaskedPing, 0, 7, h)).toBe(2);
      expect(h).toMatchObject({ fin: true, opcode: 9, payloadLength: 5 });
      expect(codec.parseHeader(rfc.binary256Header, 0, 4, h)).toBe(4);
      expect(h).toMatchObject({ opcode: 2, payloadLength: 256, headerLength: 4 });
      expect(codec.parseHeader(rfc.binary64KiBHeader, 0, 10, h)).toBe(10);
      expect(h).toMatchObject({ opcode: 2, payloadLength: 65536, headerLength: 10 });
    });

    it('needs more bytes, consuming nothing, until the whole header is there', () => {
      const frame = rfc.maskedHello;
      const h = newHeader();
      for (let n = 0; n < 6; n++) expect(codec.parseHeader(frame, 0, n, h)).toBe(0);
      expect(codec.parseHeader(frame, 0, 6, h)).toBe(6);
    });

    it('reads at an offset inside a larger buffer', () => {
      const buf = new Uint8Array(40);
      buf.set(rfc.maskedHello, 17);
      const h = newHeader();
      expect(codec.parseHeader(buf, 17, 40, h)).toBe(6);
      expect(h.maskKey).toBe(0x37fa213d);
    });

    it.each([
      ['a fragmented ping', bad.pingNoFin, STATUS_FRAGMENTED_CONTROL],
      ['opcode 3', bad.reservedOpcode3, STATUS_BAD_OPCODE],
      ['opcode 0xB', bad.reservedOpcodeB, STATUS_BAD_OPCODE],
      ['a ping over 125 bytes', bad.longPing, STATUS_CONTROL_TOO_LONG],
      ['a 64-bit length with the top bit set (2^63)', bad.topBitLength, STATUS_LENGTH_TOP_BIT],
      ['a length of 2^53', bad.unsafeLength, STATUS_LENGTH_UNSAFE],
    ])('rejects %s', (_name, frame, status) => {
      expect(codec.parseHeader(frame, 0, frame.length, newHeader())).toBe(status);
    });

    it('rejects what bytes 0-1 decide before the rest of the header arrives', () => {
      expect(codec.parseHeader(hex('83 ff'), 0, 2, newHeader())).toBe(STATUS_BAD_OPCODE);
      expect(codec.parseHeader(hex('09 80'), 0, 2, newHeader())).toBe(STATUS_FRAGMENTED_CONTROL);
    });
  });

  describe('writeHeader', () => {
    it.each([0, 1, 125, 126, 127, 65535, 65536, 2 ** 32, 2 ** 53 - 1])('round-trips a %d-byte length, masked and not', (length) => {
      for (const masked of [false, true]) {
        const h: FrameHeader = { ...newHeader(), fin: true, rsv1: true, opcode: 2, masked, maskKey: masked ? 0xdeadbeef : 0, payloadLength: length };
        const buf = new Uint8Array(20);
        const start = codec.writeHeader(buf, 20, h);
        const expectedLength = (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
        expect(20 - start).toBe(expectedLength);
        const back = newHeader();
        expect(codec.parseHeader(buf, start, 20, back)).toBe(expectedLength);
        expect(back).toMatchObject({ fin: true, rsv1: true, rsv2: false, rsv3: false, opcode: 2, masked, payloadLength: length, maskKey: h.maskKey });
      }
    });

    it('writes the RFC 6455 §5.7 256-byte and 64 KiB headers byte for byte', () => {
      const buf = new Uint8Array(10);
      const h = { ...newHeader(), fin: true, opcode: 2, payloadLength: 256 };
      expect(buf.subarray(codec.writeHeader(buf, 10, h))).toEqual(rfc.binary256Header);
      h.payloadLength = 65536;
      expect(buf.subarray(codec.writeHeader(buf, 10, h))).toEqual(rfc.binary64KiBHeader);
    });
  });

  describe('mask', () => {
    it('produces the RFC 6455 §5.7 masked "Hello"', () => {
      const payload = encoder.encode('Hello');
      expect(codec.mask(payload, 0, 5, 0x37fa213d, 0)).toBe(1);
      expect(payload).toEqual(rfc.maskedHello.subarray(6));
    });

    it('matches the reference loop for every length 0..300, phase 0..3 and offset 0..15', () => {
      const source = new Uint8Array(340).map((_, i) => (i * 31 + 7) & 0xff);
      const mismatches: string[] = [];
      for (let offset = 0; offset < 16; offset++) {
        for (let length = 0; length <= 300; length++) {
          for (let phase = 0; phase < 4; phase++) {
            const actual = source.slice();
            const expected = source.slice();
            const got = codec.mask(actual, offset, offset + length, 0xa1b2c3d4, phase);
            const want = referenceMask(expected, offset, offset + length, 0xa1b2c3d4, phase);
            if (got !== want || Buffer.compare(actual, expected) !== 0) mismatches.push(`${offset}/${length}/${phase}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
    });

    it('maskInto (where offered) writes the masked copy and leaves the source alone', () => {
      if (!codec.maskInto) return expect(codec.name).toBe('js'); // js offers mask() only
      for (const length of [0, 5, 300, 4096, 70_000]) {
        const src = new Uint8Array(length).map((_, i) => (i * 13) & 0xff);
        const before = src.slice();
        const dst = new Uint8Array(length + 7).fill(0xaa);
        const phase = codec.maskInto(src, 0, length, dst, 7, 0x0badf00d, 3);
        const expected = src.slice();
        expect(phase).toBe(referenceMask(expected, 0, length, 0x0badf00d, 3));
        expect(Buffer.compare(dst.subarray(7), expected)).toBe(0);
        expect(dst.subarray(0, 7).every((b) => b === 0xaa)).toBe(true);
        expect(Buffer.compare(src, before)).toBe(0);
      }
    });

    it('unmasks what it masked, across a split at any point', () => {
      const data = new Uint8Array(1000).map((_, i) => i & 0xff);
      const work = data.slice();
      codec.mask(work, 0, 1000, 0x01020304, 0);
      const phase = codec.mask(work, 0, 333, 0x01020304, 0);
      codec.mask(work, 333, 1000, 0x01020304, phase);
      expect(work).toEqual(data);
    });
  });

  describe('utf8', () => {
    const valid = ['', 'hello', 'κόσμε', '€', '𝄞 music', '\u{10FFFF}', '\u{FFFF}', '\u{D7FF}\u{E000}', 'a'.repeat(100) + '中文' + 'b'.repeat(50)];
    it.each(valid)('accepts %j, whole and one byte at a time', (text) => {
      const bytes = encoder.encode(text);
      expect(codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT)).toBe(UTF8_ACCEPT);
      let state = UTF8_ACCEPT;
      for (let i = 0; i < bytes.length; i++) state = codec.utf8(bytes, i, i + 1, state);
      expect(state).toBe(UTF8_ACCEPT);
    });

    const invalid: [string, string][] = [
      ['a stray continuation byte', '80'],
      ['an overlong 2-byte NUL', 'c0 80'],
      ['an overlong 3-byte form', 'e0 80 af'],
      ['an overlong 4-byte form', 'f0 80 80 af'],
      ['a surrogate D800', 'ed a0 80'],
      ['a surrogate DFFF', 'ed bf bf'],
      ['U+110000', 'f4 90 80 80'],
      ['a 5-byte form', 'f8 88 80 80 80'],
      ['a 6-byte form', 'fc 84 80 80 80 80'],
      ['byte FE', 'fe'],
      ['byte FF', 'ff'],
      ['a lead byte followed by ASCII', 'c3 41'],
      ['the Autobahn 6.3.1 payload', 'ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64'],
    ];
    it.each(invalid)('rejects %s as soon as the bad byte is seen', (_name, text) => {
      const bytes = hex(text);
      expect(codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT)).toBe(UTF8_REJECT);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    });

    it('reports an unfinished sequence as neither accept nor reject', () => {
      const bytes = hex('e2 82');
      const state = codec.utf8(bytes, 0, 2, UTF8_ACCEPT);
      expect(state).not.toBe(UTF8_ACCEPT);
      expect(state).not.toBe(UTF8_REJECT);
      expect(codec.utf8(hex('ac'), 0, 1, state)).toBe(UTF8_ACCEPT);
    });

    it('agrees with TextDecoder(fatal) on every 1- and 2-byte sequence', () => {
      const decoder = new TextDecoder('utf-8', { fatal: true });
      const pair = new Uint8Array(2);
      const disagreements: string[] = [];
      for (let a = 0; a < 256; a++) {
        for (let b = 0; b < 256; b++) {
          pair[0] = a;
          pair[1] = b;
          let ok = true;
          try { decoder.decode(pair); } catch { ok = false; }
          for (const bytes of [pair, pair.subarray(0, 1)]) {
            if (bytes.length === 1) { try { decoder.decode(bytes); ok = true; } catch { ok = false; } }
            if ((codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT) === UTF8_ACCEPT) !== ok) disagreements.push(Buffer.from(bytes).toString('hex'));
          }
        }
      }
      expect(disagreements).toEqual([]);
    });
  });
});
