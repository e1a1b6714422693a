import { describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../../src/codec/constants';
import { FrameReader } from '../../src/frame/reader';
import { bad, rfc } from '../fixtures/frames';
import { availableCodecs, hex } from '../helpers/codecs';
import { clientFrame, frame, serverFrame } from '../helpers/frames';
import { concat, readChunks, wholeAndByteByByte } from '../helpers/reader';

const decoder = new TextDecoder();
const text = (data: Uint8Array) => decoder.decode(data);

describe.each(availableCodecs())('FrameReader with the $name codec', ({ codec }) => {
  describe('RFC 6455 §5.7 examples', () => {
    it.each(wholeAndByteByByte(rfc.unmaskedHello))('a client reads the unmasked "Hello" (%s)', (_how, chunks) => {
      const events = readChunks(codec, 'client', chunks);
      expect(events.error).toBeUndefined();
      expect(events.messages.map((m) => [m.opcode, text(m.data)])).toEqual([[OP_TEXT, 'Hello']]);
    });

    it.each(wholeAndByteByByte(rfc.maskedHello))('a server reads the masked "Hello" (%s)', (_how, chunks) => {
      const events = readChunks(codec, 'server', chunks);
      expect(events.messages.map((m) => text(m.data))).toEqual(['Hello']);
    });

    it.each(wholeAndByteByByte(concat([rfc.fragmentedHel, rfc.unmaskedPing, rfc.fragmentedLo])))(
      'assembles "Hel" + "lo" around a ping, the ping first (%s)', (_how, chunks) => {
        const events = readChunks(codec, 'client', chunks);
        expect(events.order).toEqual([`control:${OP_PING}`, `message:${OP_TEXT}`]);
        expect(text(events.messages[0].data)).toBe('Hello');
        expect(text(events.controls[0].payload)).toBe('Hello');
      });

    it('a client reads the masked pong as a protocol error (servers never mask)', () => {
      expect(readChunks(codec, 'client', [rfc.maskedPong]).error?.code).toBe('WS_ERR_MASKED_FRAME');
      expect(readChunks(codec, 'server', [rfc.maskedPong]).controls[0].opcode).toBe(OP_PONG);
    });
  });

  describe('payload lengths', () => {
    it.each([0, 1, 125, 126, 127, 65535, 65536])('delivers a %d-byte binary message whole and byte by byte', (length) => {
      const payload = new Uint8Array(length).map((_, i) => (i * 7) & 0xff);
      const bytes = clientFrame(OP_BINARY, payload);
      for (const [, chunks] of wholeAndByteByByte(bytes)) {
        if (length > 1000 && chunks.length > 1) continue; // byte by byte for large sizes: see the 64 KiB chunked case
        const events = readChunks(codec, 'server', chunks);
        expect(events.error).toBeUndefined();
        expect(events.messages).toHaveLength(1);
        expect(Buffer.compare(events.messages[0].data, payload)).toBe(0);
      }
    });

    it('delivers a 65536-byte message fed in 7-byte chunks', () => {
      const payload = new Uint8Array(65536).map((_, i) => (i * 13) & 0xff);
      const bytes = clientFrame(OP_BINARY, payload);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
      const events = readChunks(codec, 'server', chunks);
      expect(Buffer.compare(events.messages[0].data, payload)).toBe(0);
    });

    it.each([
      ['2^32', hex('82 ff 00 00 00 01 00 00 00 00 11 22 33 44')],
      ['2^53 - 1', hex('82 ff 00 1f ff ff ff ff ff ff 11 22 33 44')],
    ])('closes with 1009 on a %s-byte message from its header alone, before buffering', (_name, header) => {
      const events = readChunks(codec, 'server', [header]);
      expect(events.error?.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
      expect(events.error?.closeCode).toBe(1009);
    });

    it('accepts a 2^32-byte header when the limit allows it, and streams its first bytes', () => {
      const header = hex('82 7f 00 00 00 01 00 00 00 00');
      const reader = new FrameReader({ role: 'client', codec, maxMessageBytes: 2 ** 53 - 1 }, {
        onMessage: () => { throw new Error('not complete'); },
        onControl: () => {},
        onError: (e) => { throw e; },
        onMessageStart: () => ({ write: (d) => { received += d.length; }, end: () => {}, abort: () => {} }),
      });
      let received = 0;
      reader.push(header);
      reader.push(new Uint8Array(1000));
      expect(received).toBe(1000);
    });

    it('rejects 2^63 (the top bit) with 1002 and 2^53 with 1009', () => {
      expect(readChunks(codec, 'client', [bad.topBitLength]).error).toMatchObject({ code: 'WS_ERR_BAD_LENGTH', closeCode: 1002 });
      expect(readChunks(codec, 'client', [bad.unsafeLength]).error).toMatchObject({ code: 'WS_ERR_UNSUPPORTED_LENGTH', closeCode: 1009 });
    });

    it('enforces maxMessageBytes across fragments', () => {
      const bytes = concat([
        clientFrame(OP_BINARY, new Uint8Array(60), { fin: false }),
        clientFrame(0, new Uint8Array(60)),
      ]);
      expect(readChunks(codec, 'server', [bytes], { maxMessageBytes: 100 }).error?.closeCode).toBe(1009);
      expect(readChunks(codec, 'server', [bytes], { maxMessageBytes: 120 }).messages).toHaveLength(1);
    });

    it('enforces maxFragments', () => {
      const parts = [clientFrame(OP_BINARY, 'a', { fin: false })];
      for (let i = 0; i < 5; i++) parts.push(clientFrame(0, 'b', { fin: false }));
      parts.push(clientFrame(0, 'c'));
      expect(readChunks(codec, 'server', [concat(parts)], { maxFragments: 6 }).error?.code).toBe('WS_ERR_TOO_MANY_FRAGMENTS');
      expect(readChunks(codec, 'server', [concat(parts)], { maxFragments: 7 }).messages).toHaveLength(1);
    });
  });

  describe('frame rules (RFC 6455 §5)', () => {
    const cases: [string, Uint8Array, string, number][] = [
      ['a fragmented ping', hex('09 80 11 22 33 44'), 'WS_ERR_FRAGMENTED_CONTROL', 1002],
      ['reserved opcode 3', hex('83 80 11 22 33 44'), 'WS_ERR_BAD_OPCODE', 1002],
      ['reserved opcode 0xF', hex('8f 80 11 22 33 44'), 'WS_ERR_BAD_OPCODE', 1002],
      ['a ping of 126 bytes', clientFrame(OP_PING, new Uint8Array(126)), 'WS_ERR_CONTROL_TOO_LONG', 1002],
      ['RSV1 with no extension', clientFrame(OP_TEXT, 'x', { rsv1: true }), 'WS_ERR_BAD_RSV1', 1002],
      ['RSV2', clientFrame(OP_TEXT, 'x', { rsv2: true }), 'WS_ERR_BAD_RSV23', 1002],
      ['RSV3', clientFrame(OP_BINARY, 'x', { rsv3: true }), 'WS_ERR_BAD_RSV23', 1002],
      ['an unmasked client frame', serverFrame(OP_TEXT, 'x'), 'WS_ERR_UNMASKED_FRAME', 1002],
      ['a continuation with no message', clientFrame(0, 'x'), 'WS_ERR_UNEXPECTED_CONTINUATION', 1002],
      ['a new message inside a fragmented one', concat([clientFrame(OP_TEXT, 'a', { fin: false }), clientFrame(OP_TEXT, 'b')]), 'WS_ERR_EXPECTED_CONTINUATION', 1002],
      ['invalid UTF-8 in text', clientFrame(OP_TEXT, hex('ce ba ed a0 80')), 'WS_ERR_INVALID_UTF8', 1007],
      ['text that ends inside a character', clientFrame(OP_TEXT, hex('e2 82')), 'WS_ERR_INVALID_UTF8', 1007],
    ];
    it.each(cases)('a server closes on %s', (_name, bytes, code, closeCode) => {
      for (const [, chunks] of wholeAndByteByByte(bytes)) {
        const events = readChunks(codec, 'server', chunks);
        expect(events.error).toMatchObject({ code, closeCode });
        expect(events.messages).toHaveLength(0);
      }
    });

    it('allows RSV1 on the first data frame when an extension uses it, and leaves its text unvalidated', () => {
      const bytes = clientFrame(OP_TEXT, hex('ff fe'), { rsv1: true });
      const events = readChunks(codec, 'server', [bytes], { allowRsv1: true });
      expect(events.error).toBeUndefined();
      expect(events.messages[0]).toMatchObject({ opcode: OP_TEXT, compressed: true });
    });

    it('rejects RSV1 on a continuation and on a control frame even with an extension', () => {
      const cont = concat([clientFrame(OP_TEXT, 'a', { fin: false, rsv1: true }), clientFrame(0, 'b', { rsv1: true })]);
      expect(readChunks(codec, 'server', [cont], { allowRsv1: true }).error?.code).toBe('WS_ERR_BAD_RSV1');
      expect(readChunks(codec, 'server', [clientFrame(OP_PING, '', { rsv1: true })], { allowRsv1: true }).error?.code).toBe('WS_ERR_BAD_RSV1');
    });

    it('delivers every message before the bad frame, and nothing after it', () => {
      const bytes = concat([clientFrame(OP_TEXT, 'one'), clientFrame(OP_PING, 'p'), hex('83 80 11 22 33 44'), clientFrame(OP_TEXT, 'two')]);
      for (const [, chunks] of wholeAndByteByByte(bytes)) {
        const events = readChunks(codec, 'server', chunks);
        expect(events.order).toEqual([`message:${OP_TEXT}`, `control:${OP_PING}`, 'error:WS_ERR_BAD_OPCODE']);
      }
    });

    it('fails invalid UTF-8 in the fragment that holds the bad byte, before later fragments arrive', () => {
      const fragments = [
        clientFrame(OP_TEXT, 'hello ', { fin: false }),
        clientFrame(0, 'wörld ', { fin: false }),
        clientFrame(0, hex('41 ed a0 80 42'), { fin: false }),
        clientFrame(0, 'more', { fin: false }),
        clientFrame(0, 'end'),
      ];
      const errors: string[] = [];
      const reader = new FrameReader({ role: 'server', codec }, {
        onMessage: () => errors.push('message'), onControl: () => {}, onError: (e) => errors.push(e.code),
      });
      reader.push(fragments[0].slice());
      reader.push(fragments[1].slice());
      expect(errors).toEqual([]);
      reader.push(fragments[2].slice());
      expect(errors).toEqual(['WS_ERR_INVALID_UTF8']);
      expect(reader.isHalted).toBe(true);
    });

    it('accepts a character split across fragments', () => {
      const euro = hex('e2 82 ac');
      const bytes = concat([
        clientFrame(OP_TEXT, euro.subarray(0, 1), { fin: false }),
        clientFrame(0, euro.subarray(1, 2), { fin: false }),
        clientFrame(0, euro.subarray(2)),
      ]);
      expect(text(readChunks(codec, 'server', [bytes]).messages[0].data)).toBe('€');
    });

    it('passes close frames up with their payload', () => {
      const events = readChunks(codec, 'client', [serverFrame(OP_CLOSE, hex('03 e8 62 79 65'))]);
      expect(events.controls[0].opcode).toBe(OP_CLOSE);
      expect(events.controls[0].payload).toEqual(hex('03 e8 62 79 65'));
    });

    it('reads nothing more after halt()', () => {
      const seen: string[] = [];
      const reader = new FrameReader({ role: 'client', codec }, {
        onMessage: (_o, d) => { seen.push(text(d)); reader.halt(); }, onControl: () => {}, onError: () => {},
      });
      reader.push(concat([serverFrame(OP_TEXT, 'a'), serverFrame(OP_TEXT, 'b')]));
      expect(seen).toEqual(['a']);
    });
  });

  describe('readers share their scan buffers, never their state', () => {
    const collect = (role: 'server' | 'client', out: string[], onMessage?: () => void) => new FrameReader({ role, codec }, {
      onMessage: (_o, d) => { out.push(text(d)); onMessage?.(); }, onControl: () => {}, onError: (e) => { throw e; },
    });

    it('keeps each reader\'s frame in progress while others read whole messages in between', () => {
      const a: string[] = [];
      const b: string[] = [];
      const readerA = collect('server', a);
      const readerB = collect('server', b);
      // A: a fragmented text message, its second frame split mid-payload and mid-character.
      const first = clientFrame(OP_TEXT, 'héllo ', { fin: false });
      const second = clientFrame(0, 'wörld', { fin: true });
      readerA.push(first.slice());
      readerA.push(second.slice(0, 8));
      readerB.push(concat([clientFrame(OP_TEXT, 'one'), clientFrame(OP_BINARY, new Uint8Array([1, 2]))]));
      readerB.push(clientFrame(OP_TEXT, 'two, then half of ').slice());
      readerA.push(second.slice(8));
      expect(a).toEqual(['héllo wörld']);
      expect(b).toEqual(['one', '\u0001\u0002', 'two, then half of ']);
    });

    it('gives a reader fed from inside another reader\'s callback its own buffers', () => {
      const inner: string[] = [];
      const outer: string[] = [];
      const innerReader = collect('client', inner);
      const outerReader = collect('server', outer, () => innerReader.push(serverFrame(OP_TEXT, `echo ${outer.length}`)));
      const whole = concat([clientFrame(OP_TEXT, 'x'), clientFrame(OP_TEXT, 'y'), clientFrame(OP_TEXT, 'zzzz')]);
      outerReader.push(whole.slice(0, whole.length - 2));
      outerReader.push(whole.slice(whole.length - 2));
      expect(outer).toEqual(['x', 'y', 'zzzz']);
      expect(inner).toEqual(['echo 1', 'echo 2', 'echo 3']);
    });
  });

  it('streams a message into a sink as it arrives', () => {
    const payload = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const bytes = frame({ opcode: OP_BINARY, payload, key: 0x9a8b7c6d, fin: true });
    const received: Uint8Array[] = [];
    let ended = false;
    const reader = new FrameReader({ role: 'server', codec }, {
      onMessage: () => { throw new Error('should stream'); },
      onControl: () => {},
      onError: (e) => { throw e; },
      onMessageStart: () => ({ write: (d) => received.push(d.slice()), end: () => { ended = true; }, abort: () => {} }),
    });
    for (let i = 0; i < bytes.length; i += 65536) {
      reader.push(bytes.slice(i, i + 65536));
      if (i + 65536 < bytes.length) expect(ended).toBe(false);
    }
    expect(ended).toBe(true);
    expect(Buffer.compare(concat(received), payload)).toBe(0);
  });
});
