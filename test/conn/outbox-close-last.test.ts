// The close frame is the last frame a connection writes (RFC 6455 §5.5.1): nothing the
// outbox holds back (a pong waiting for the socket to drain) may follow it.
import { describe, expect, it } from 'vitest';
import { Outbox, type WritableSocket } from '../../src/conn/outbox';

/** A socket over its high-water mark until drain() is called; records each frame's first byte. */
function congestedSocket(): WritableSocket & { written: number[]; drain(): void } {
  const written: number[] = [];
  const onDrain: (() => void)[] = [];
  const socket = {
    written,
    write(data: Uint8Array, callback?: (error?: Error | null) => void) {
      for (const byte of data) written.push(byte);
      callback?.(null);
      return false;
    },
    cork() {},
    uncork() {},
    writableLength: 0,
    writableNeedDrain: true,
    once(_event: 'drain', listener: () => void) { onDrain.push(listener); return socket; },
    drain() {
      socket.writableNeedDrain = false;
      for (const listener of onDrain.splice(0)) listener();
    },
  };
  return socket;
}

const f = (id: number) => new Uint8Array([id]);
const turn = () => new Promise((r) => setImmediate(r));

/** Lets the socket drain, then checks that the close frame (8) was written and nothing after it. */
async function expectCloseLastOnceDrained(socket: ReturnType<typeof congestedSocket>): Promise<void> {
  socket.drain();
  await turn();
  const close = socket.written.indexOf(8);
  expect(close).toBeGreaterThanOrEqual(0);
  expect(socket.written.slice(close + 1)).toEqual([]);
}

describe('Outbox: nothing after the close frame', () => {
  it('a pong held back while the socket drains is not written after the close frame', async () => {
    const socket = congestedSocket();
    const outbox = new Outbox(socket);
    outbox.enqueuePong(f(10)); // the peer pinged; the socket is full, so the pong waits for drain
    await turn();
    outbox.enqueueClose(f(8), () => {});
    await turn();
    await expectCloseLastOnceDrained(socket);
  });

  it('a pong queued with the close frame in the same turn goes before it, not after', async () => {
    const socket = congestedSocket();
    const outbox = new Outbox(socket);
    outbox.enqueuePong(f(10));
    outbox.enqueueClose(f(8), () => {});
    await turn();
    await expectCloseLastOnceDrained(socket);
  });
});
