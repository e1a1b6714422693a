import { describe, expect, it } from 'vitest';
import { OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import type { Conn } from '../../src/conn/connection';
import type { MessageReader } from '../../src/conn/message-reader';
import { serve } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { RawDeflate } from '../helpers/raw-deflate';
import { rawClient } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inboxOf = (conn: Conn) => (conn as unknown as { core: { inbox: { queuedMessages: number; inflatingMessages: number } } }).core.inbox;

/**
 * Empty messages carry no payload bytes, but each one queued costs objects (and, compressed,
 * the inflater's promises): the read buffer's bound must hold for them too, or a peer's
 * 6-byte frames fill the heap of a server that is not reading yet.
 */
describe.each([false, true])('a flood of empty messages pauses the socket (compression %s)', (compression) => {
  it('queues a bounded number while the handler does not read, then delivers every one', async () => {
    const COUNT = compression ? 40_000 : 100_000; // inflating one at a time is slower
    let conn: Conn | undefined;
    let startReading!: () => void;
    const reading = new Promise<void>((resolve) => { startReading = resolve; });
    let read = 0;
    const server = await serve({ port: 0, compression: compression ? {} : false, maxReadBufferBytes: 64 * 1024, onHandlerError: () => {} }, async (c) => {
      conn = c;
      await reading;
      for await (const m of c) { expect(m.data.length).toBe(0); read++; }
    });
    try {
      const { peer } = await rawClient(server.address().port, compression ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '', compression);
      // Compressed, an empty message is one byte, 0x00 (RFC 7692 §7.2.3.6).
      const frame = compression ? clientFrame(OP_TEXT, new Uint8Array([0]), { rsv1: true }) : clientFrame(OP_TEXT, new Uint8Array(0));
      const flood = new Uint8Array(frame.length * COUNT);
      for (let i = 0; i < COUNT; i++) flood.set(frame, i * frame.length);
      peer.socket.write(flood);
      await sleep(300);
      const held = inboxOf(conn!).queuedMessages + inboxOf(conn!).inflatingMessages;
      expect(held).toBeGreaterThan(0);
      // 64 KiB of entries, plus the rest of the socket chunk that crossed it: not all of them.
      expect(held).toBeLessThan(COUNT / 2);
      startReading();
      for (let waited = 0; read < COUNT; waited += 20) {
        if (waited > 20_000) throw new Error(`read ${read} of ${COUNT}`);
        await sleep(20);
      }
      expect(read).toBe(COUNT);
      peer.socket.destroy();
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  }, 30_000);
});

describe('an empty compressed payload (RSV1, length 0)', () => {
  it('is an empty message, and the messages after it inflate intact', async () => {
    const got: string[] = [];
    const server = await serve({ port: 0, onHandlerError: () => {} }, async (c) => {
      try {
        for await (const m of c) got.push(m.text());
        got.push('done');
      } catch (err) {
        got.push(`failed ${(err as { closeCode?: number }).closeCode}`);
      }
    });
    try {
      const { peer } = await rawClient(server.address().port, 'Sec-WebSocket-Extensions: permessage-deflate\r\n', true);
      const zlib = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
      const empty = clientFrame(OP_TEXT, new Uint8Array(0), { rsv1: true });
      const hello = clientFrame(OP_TEXT, await zlib.compress(new TextEncoder().encode('hello')), { rsv1: true });
      peer.socket.write(concat([empty, empty, hello, empty, clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8]))]));
      await peer.waitClosed();
      for (let waited = 0; !got.includes('done') && !got.some((g) => g.startsWith('failed')); waited += 10) {
        if (waited > 5000) throw new Error(`got ${JSON.stringify(got)}`);
        await sleep(10);
      }
      expect(got).toEqual(['', '', 'hello', '', 'done']);
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  });
});

describe('a streamed message in 1-byte fragments', () => {
  it('pauses the socket by its chunks\' count, not only their bytes, while the reader is not read', async () => {
    const FRAGMENTS = 8000; // 56 KB a write: within one socket read each
    let reader: MessageReader | undefined;
    const server = await serve({ port: 0, compression: false, maxReadBufferBytes: 64 * 1024, onHandlerError: () => {} }, async (c) => {
      reader = await c.nextReader();
      await c.closed;
    });
    try {
      const { peer } = await rawClient(server.address().port);
      await sleep(50); // the handler's nextReader() waits first, so the message streams
      const fragments = (first: boolean) => concat(Array.from({ length: FRAGMENTS }, (_, i) => clientFrame(first && i === 0 ? OP_TEXT : 0, 'x', { fin: false })));
      for (let i = 0; i < 4; i++) {
        peer.socket.write(fragments(i === 0));
        await sleep(100);
      }
      // Counted at 1 byte a chunk, 32,000 chunks (32 KB) never reached 64 KiB: all were read.
      expect(reader!.pendingBytes).toBeGreaterThan(0);
      expect(reader!.pendingBytes).toBeLessThan(2 * FRAGMENTS);
      reader!.discard();
      peer.socket.destroy();
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  });
});
