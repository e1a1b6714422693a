import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OP_CONTINUATION, OP_TEXT, UTF8_ACCEPT, UTF8_REJECT } from '../../src/codec/constants';
import { utf8 as dfa } from '../../src/codec/js/utf8';
import { findNativeUtf8, streamingOver, type WholeUtf8 } from '../../src/codec/native-utf8';
import { codecs } from '../../src/codec/select';
import { FrameReader } from '../../src/frame/reader';
import type { ProtocolError } from '../../src/errors';
import { availableCodecs } from '../helpers/codecs';
import { clientFrame } from '../helpers/frames';

const fatal = new TextDecoder('utf-8', { fatal: true });
const decoderWhole: WholeUtf8 = (bytes) => { try { fatal.decode(bytes); return true; } catch { return false; } };
const native = findNativeUtf8();

/** Whole-buffer validators to build the streaming one on: the runtime's, and TextDecoder standing in. */
const wholes: [string, WholeUtf8][] = [['TextDecoder(fatal)', decoderWhole], ...(native ? [['node:buffer isUtf8', native] as [string, WholeUtf8]] : [])];

/** Byte strings that are mostly UTF-8, with invalid bytes, cut characters and surrogates spliced in. */
const utf8ish = fc.tuple(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xe0, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0xf5, 0xff)), { maxLength: 3 }),
  fc.boolean(),
).map(([s, edits, truncate]) => {
  let bytes = new TextEncoder().encode(s);
  for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
  if (truncate && bytes.length > 0) bytes = bytes.subarray(0, bytes.length - 1);
  return bytes;
});
const anyBytes = fc.oneof(utf8ish, fc.uint8Array({ maxLength: 64 }));

/** Runs `validate` over bytes cut at `cuts`: every call's result, stopping at the first reject. */
function streamed(validate: (b: Uint8Array, s: number, e: number, st: number) => number, bytes: Uint8Array, cuts: number[]): number[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1))), bytes.length].sort((a, b) => a - b);
  const results: number[] = [];
  let state = UTF8_ACCEPT;
  let at = 0;
  for (const p of points) {
    state = validate(bytes, at, p, state);
    results.push(state);
    if (state === UTF8_REJECT) break;
    at = p;
  }
  return results;
}

describe('findNativeUtf8', () => {
  it('finds node:buffer isUtf8 through process.getBuiltinModule in Node', () => {
    expect(native).toBeTypeOf('function');
    expect(native!(new TextEncoder().encode('ok €'))).toBe(true);
  });

  it('has none in Deno (its isUtf8 is slower than the WASM kernel), without getBuiltinModule, or when it throws', () => {
    const isUtf8 = () => true;
    expect(findNativeUtf8({ Deno: {}, process: { getBuiltinModule: () => ({ isUtf8 }) } })).toBeNull();
    expect(findNativeUtf8({ process: {} })).toBeNull();
    expect(findNativeUtf8({})).toBeNull();
    expect(findNativeUtf8({ process: { getBuiltinModule: () => { throw new Error('no'); } } })).toBeNull();
    expect(findNativeUtf8({ process: { getBuiltinModule: () => ({ isUtf8 }) } })).toBe(isUtf8);
  });
});

describe.each(wholes)('streamingOver(%s) ≡ the DFA', (_name, whole) => {
  const streaming = streamingOver(whole, 0); // from the first byte, so short inputs test it too

  it('gives the DFA\'s state after every fragment, and rejects at the same fragment', () => {
    fc.assert(fc.property(anyBytes, fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
      expect(streamed(streaming, bytes, cuts)).toEqual(streamed(dfa, bytes, cuts));
    }), { numRuns: 1500 });
  }, 30_000);

  it('ends in the DFA\'s state inside a character cut anywhere (an incomplete end is not ACCEPT)', () => {
    for (const text of ['€', '𝄞', 'ab中', 'x\u{10ffff}', 'é']) {
      const bytes = new TextEncoder().encode(`${'a'.repeat(200)}${text}`);
      for (let cut = 195; cut <= bytes.length; cut++) {
        expect(streaming(bytes, 0, cut, UTF8_ACCEPT)).toBe(dfa(bytes, 0, cut, UTF8_ACCEPT));
        expect(streaming(bytes, cut, bytes.length, dfa(bytes, 0, cut, UTF8_ACCEPT))).toBe(UTF8_ACCEPT);
      }
    }
  });

  it('calls the whole-buffer validator once for a long valid run, never on a cut character', () => {
    const seen: number[] = [];
    const counting = streamingOver((b) => { seen.push(b.length); return whole(b); }, 0);
    const bytes = new TextEncoder().encode(`${'ü'.repeat(5000)}€`).subarray(0, 10_001); // cut inside '€'
    expect(counting(bytes, 0, bytes.length, UTF8_ACCEPT)).toBe(dfa(bytes, 0, bytes.length, UTF8_ACCEPT));
    expect(seen).toEqual([10_000]);
  });
});

/** A server reader fed `chunks` one at a time: the index of the chunk after which it failed, and the error. */
function failAt(codec: (typeof codecsUnderTest)[number]['codec'], chunks: Uint8Array[]): { at: number; error?: ProtocolError; messages: number } {
  let error: ProtocolError | undefined;
  let messages = 0;
  const reader = new FrameReader({ role: 'server', codec }, {
    onMessage: () => { messages++; },
    onControl: () => {},
    onError: (e) => { error = e; },
  });
  for (let i = 0; i < chunks.length; i++) {
    reader.push(chunks[i].slice());
    if (error) return { at: i, error, messages };
  }
  return { at: -1, messages };
}

const codecsUnderTest = availableCodecs();
const big = (s: string) => new TextEncoder().encode(s.repeat(Math.ceil(5000 / s.length)));

describe.each(codecsUnderTest)('fail-fast UTF-8 with the $name codec (Autobahn 6.4)', ({ codec }) => {
  it('fails a fragmented text message at the frame with the invalid byte, before the rest arrives (6.4.1)', () => {
    const bad = Uint8Array.from([...big('κόσμε'), 0xf4, 0x90, 0x80, 0x80, ...big('ok')]);
    const r = failAt(codec, [
      clientFrame(OP_TEXT, big('κόσμε'), { fin: false }),
      clientFrame(OP_CONTINUATION, bad, { fin: false }),
      clientFrame(OP_CONTINUATION, big('edited'), { fin: true }),
    ]);
    expect(r).toMatchObject({ at: 1, error: { code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 } });
  });

  it('fails one text frame sent in chops at the chop with the invalid byte (6.4.3)', () => {
    const payload = Uint8Array.from([...big('κόσμε'), 0xed, 0xa0, 0x80, ...big('ok')]);
    const wire = clientFrame(OP_TEXT, payload);
    const badAt = 14 + big('κόσμε').length + 1;
    const r = failAt(codec, [wire.subarray(0, 3000), wire.subarray(3000, badAt + 2), wire.subarray(badAt + 2)]);
    expect(r).toMatchObject({ at: 1, error: { code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 } });
  });

  it('fails at the FIN frame that ends inside a character, and not before', () => {
    const text = big('日本語');
    const r = failAt(codec, [
      clientFrame(OP_TEXT, text.subarray(0, text.length - 1), { fin: false }), // cut inside the last character: fine so far
      clientFrame(OP_CONTINUATION, Uint8Array.from([...big('ok'), 0xe6, 0x97]), { fin: true }),
    ]);
    expect(r).toMatchObject({ at: 1, error: { code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }, messages: 0 });
  });

  it('accepts a large text message split inside characters at every frame and chunk boundary', () => {
    const text = big('añ€𝄞');
    const frames = [clientFrame(OP_TEXT, text.subarray(0, 2501), { fin: false }), clientFrame(OP_CONTINUATION, text.subarray(2501), { fin: true })];
    const wire = Uint8Array.from([...frames[0], ...frames[1]]);
    const r = failAt(codec, [wire.subarray(0, 1001), wire.subarray(1001, 4003), wire.subarray(4003)]);
    expect(r).toEqual({ at: -1, messages: 1 });
  });
});

describe('codec selection', () => {
  it('auto validates with the native validator in Node', () => {
    expect(native).not.toBeNull();
    const bytes = big('€');
    expect(codecs.auto.utf8(bytes, 0, bytes.length, UTF8_ACCEPT)).toBe(UTF8_ACCEPT);
    expect(codecs.auto.utf8).not.toBe(codecs.wasm.utf8);
  });
});
