import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../../src/codec/constants';
import { serve, type WebSocketServer } from '../../src/server';
import { hex } from '../helpers/codecs';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';
import { CODEC_TRANSPORTS, closeRawSessions, rawClientOver, serveOver } from '../helpers/transports';
import { concat } from '../helpers/reader';

// The server side of RFC 6455, in the spirit of the Autobahn TestSuite sections 1-7, 9, 10:
// a raw client sends exact bytes (whole, or one byte per write) to an echo server and checks
// the frames and close codes that come back.

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

// Each case runs over TCP and over HTTP/2 streams (RFC 8441): framing does not change.
describe.each(CODEC_TRANSPORTS)('server conformance, %s codec over %s', (codec, transport) => {
  let server: WebSocketServer;
  let port: number;

  beforeAll(async () => {
    server = await serveOver(transport, { port: 0, codec, maxMessageBytes: 1 << 20, pingIntervalMs: 0 }, async (conn) => {
      try {
        for await (const msg of conn) await conn.send(msg.type === 'text' ? msg.text() : msg.data);
      } catch { /* a failed connection ends the loop */ }
    });
    port = server.address().port;
  });
  afterAll(async () => { closeRawSessions(); await server.close({ timeoutMs: 500 }); });

  async function exchange(bytes: Uint8Array, expectFrames: number, byteByByte = false) {
    const { peer } = await rawClientOver(transport, port);
    await peer.send(bytes, byteByByte);
    await peer.waitFrames(expectFrames);
    return peer;
  }

  describe('1. framing', () => {
    it.each([0, 1, 125, 126, 127, 128, 65535, 65536, 300_000])('echoes a %d-byte text and binary message', async (size) => {
      const payload = new Uint8Array(size).fill(0x61);
      const peer = await exchange(concat([clientFrame(OP_TEXT, payload), clientFrame(OP_BINARY, payload)]), 2);
      expect(peer.frames.map((f) => [f.opcode, f.payload.length])).toEqual([[OP_TEXT, size], [OP_BINARY, size]]);
      peer.socket.destroy();
    });

    it('echoes messages sent one byte per write', async () => {
      const peer = await exchange(concat([clientFrame(OP_TEXT, 'Hello, world'), clientFrame(OP_BINARY, new Uint8Array(200).fill(3))]), 2, true);
      expect(decode(peer.frames[0].payload)).toBe('Hello, world');
      expect(peer.frames[1].payload).toEqual(new Uint8Array(200).fill(3));
      peer.socket.destroy();
    });
  });

  describe('2. pings and pongs', () => {
    it('answers a ping with a pong carrying the same payload', async () => {
      const peer = await exchange(clientFrame(OP_PING, 'ping payload'), 1);
      expect(peer.frames[0].opcode).toBe(OP_PONG);
      expect(decode(peer.frames[0].payload)).toBe('ping payload');
      peer.socket.destroy();
    });

    it('answers each of 10 pings sent back to back, in order', async () => {
      const pings = Array.from({ length: 10 }, (_, i) => clientFrame(OP_PING, `p${i}`));
      const peer = await exchange(concat(pings), 10);
      expect(peer.frames.map((f) => decode(f.payload))).toEqual(pings.map((_, i) => `p${i}`));
      peer.socket.destroy();
    });

    it('ignores an unsolicited pong', async () => {
      const peer = await exchange(concat([clientFrame(OP_PONG, 'unasked'), clientFrame(OP_TEXT, 'after')]), 1);
      expect(peer.frames.map((f) => [f.opcode, decode(f.payload)])).toEqual([[OP_TEXT, 'after']]);
      peer.socket.destroy();
    });

    it('closes with 1002 on a ping of 126 bytes', async () => {
      const peer = await exchange(clientFrame(OP_PING, new Uint8Array(126)), 1);
      expect(peer.closeFrame()?.[0]).toBe(1002);
      await peer.waitClosed();
    });
  });

  describe('3-4. reserved bits and opcodes', () => {
    it.each([
      ['RSV1', clientFrame(OP_TEXT, 'x', { rsv1: true })],
      ['RSV2', clientFrame(OP_TEXT, 'x', { rsv2: true })],
      ['RSV3 on a ping', clientFrame(OP_PING, 'x', { rsv3: true })],
      ['opcode 3', hex('83 80 00 00 00 00')],
      ['opcode 7', hex('87 80 00 00 00 00')],
      ['opcode 0xB', hex('8b 80 00 00 00 00')],
      ['opcode 0xF', hex('8f 80 00 00 00 00')],
      ['an unmasked frame', hex('81 01 61')],
    ])('echoes what came before, then closes with 1002 on %s and answers nothing after', async (_name, bad) => {
      const peer = await exchange(concat([clientFrame(OP_TEXT, 'before'), bad, clientFrame(OP_PING, 'after')]), 2);
      await peer.waitClosed();
      expect(peer.frames.map((f) => f.opcode)).toEqual([OP_TEXT, OP_CLOSE]);
      expect(peer.closeFrame()?.[0]).toBe(1002);
    });
  });

  describe('5. fragmentation', () => {
    it('assembles a fragmented text message, answering a ping sent between its fragments first', async () => {
      const peer = await exchange(concat([
        clientFrame(OP_TEXT, 'frag', { fin: false }),
        clientFrame(OP_PING, 'mid'),
        clientFrame(0, 'ment', { fin: false }),
        clientFrame(0, 'ed'),
      ]), 2, true);
      expect(peer.frames.map((f) => [f.opcode, decode(f.payload)])).toEqual([[OP_PONG, 'mid'], [OP_TEXT, 'fragmented']]);
      peer.socket.destroy();
    });

    it.each([
      ['a continuation with nothing to continue', clientFrame(0, 'x')],
      ['a fragmented ping', clientFrame(OP_PING, 'x', { fin: false })],
      ['a new text frame inside a fragmented message', concat([clientFrame(OP_TEXT, 'a', { fin: false }), clientFrame(OP_TEXT, 'b')])],
    ])('closes with 1002 on %s', async (_name, bytes) => {
      const peer = await exchange(bytes, 1);
      expect(peer.closeFrame()?.[0]).toBe(1002);
    });
  });

  describe('6. UTF-8', () => {
    it.each(['κόσμε', '𝄞', '\u{10FFFF}', 'ascii only'])('echoes valid text %j', async (s) => {
      const peer = await exchange(clientFrame(OP_TEXT, s), 1);
      expect(decode(peer.frames[0].payload)).toBe(s);
      peer.socket.destroy();
    });

    it.each([['a surrogate', 'ed a0 80'], ['an overlong', 'c0 af'], ['U+110000', 'f4 90 80 80'], ['a truncated character', 'ce']])(
      'closes with 1007 on %s', async (_name, bytes) => {
        const peer = await exchange(clientFrame(OP_TEXT, hex(bytes)), 1);
        expect(peer.closeFrame()?.[0]).toBe(1007);
      });

    it('fails fast: the 1007 arrives before the rest of the message is sent', async () => {
      const { peer } = await rawClientOver(transport, port);
      await peer.send(clientFrame(OP_TEXT, 'good start ', { fin: false }));
      await peer.send(clientFrame(0, hex('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80'), { fin: false }));
      await peer.waitFrames(1);
      expect(peer.closeFrame()?.[0]).toBe(1007);
    });
  });

  describe('7. closing', () => {
    it('echoes an empty close and ends the TCP connection', async () => {
      const peer = await exchange(clientFrame(OP_CLOSE, new Uint8Array(0)), 1);
      expect(peer.frames[0]).toMatchObject({ opcode: OP_CLOSE });
      expect(peer.frames[0].payload.length).toBe(0);
      await peer.waitClosed();
    });

    it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])('echoes close code %d', async (code) => {
      const peer = await exchange(clientFrame(OP_CLOSE, new Uint8Array([code >> 8, code & 0xff, 0x6f, 0x6b])), 1);
      expect(peer.closeFrame()).toEqual([code, 'ok']); // code and reason echoed (issue 12, finding 17)
      await peer.waitClosed();
    });

    it('echoes a close reason of the largest size, 123 bytes of UTF-8, byte for byte', async () => {
      const reason = 'é'.repeat(61) + 'x'; // 123 bytes
      const payload = concat([new Uint8Array([0x0f, 0xa1]), new TextEncoder().encode(reason)]);
      const peer = await exchange(clientFrame(OP_CLOSE, payload), 1);
      expect(peer.closeFrame()).toEqual([4001, reason]);
      expect(peer.frames[0].payload).toEqual(payload);
      await peer.waitClosed();
    });

    it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])('answers invalid close code %d with 1002', async (code) => {
      const peer = await exchange(clientFrame(OP_CLOSE, new Uint8Array([code >> 8, code & 0xff])), 1);
      expect(peer.closeFrame()?.[0]).toBe(1002);
    });

    it('answers a 1-byte close payload with 1002 and an invalid UTF-8 reason with 1007', async () => {
      expect((await exchange(clientFrame(OP_CLOSE, hex('03')), 1)).closeFrame()?.[0]).toBe(1002);
      expect((await exchange(clientFrame(OP_CLOSE, hex('03 e8 ff ff')), 1)).closeFrame()?.[0]).toBe(1007);
    });

    it('ignores data frames after the close frame', async () => {
      const peer = await exchange(concat([clientFrame(OP_CLOSE, hex('03 e8')), clientFrame(OP_TEXT, 'late')]), 1);
      await peer.waitClosed();
      expect(peer.frames.map((f) => f.opcode)).toEqual([OP_CLOSE]);
    });
  });

  describe('9. limits', () => {
    it('closes with 1009 on a message over maxMessageBytes, from its header', async () => {
      const { peer } = await rawClientOver(transport, port);
      await peer.send(clientFrame(OP_BINARY, new Uint8Array((1 << 20) + 1)).subarray(0, 14));
      await peer.waitFrames(1);
      expect(peer.closeFrame()?.[0]).toBe(1009);
    });
  });
});

describe('10. auto-fragmentation', () => {
  it('sends a large message in maxFrameBytes fragments that reassemble', async () => {
    const server = await serve({ port: 0, maxFrameBytes: 1000 }, async (conn) => {
      await conn.send(new Uint8Array(4500).fill(9));
      await conn.closed; // returning would close the connection, and the close frame would count
    });
    const { peer } = await rawClient(server.address().port);
    await peer.waitFrames(1);
    expect(peer.frames[0].payload).toEqual(new Uint8Array(4500).fill(9));
    expect(peer.wireFrames).toBe(5);
    peer.socket.destroy();
    await server.close({ timeoutMs: 200 });
  });
});
