// The write-completion hook: send(…, onWritten), ping(…, onWritten), pong(…, onWritten) and a
// MessageWriter's write/close callbacks are told once the socket's write carrying their last
// byte completes (not when the send promise resolves), with the error when the connection
// goes first; exactly once each, in call order, with compression off and on.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Conn, type ConnSocket } from '../../src/conn/connection';
import { PerMessageDeflate } from '../../src/extensions/permessage-deflate';
import type { ConnOptions } from '../../src/options';

const turn = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socket whose writes complete only when the test says so: it records every chunk written. */
class HeldSocket extends Duplex {
  readonly chunks: Buffer[] = [];
  private held: ((error?: Error | null) => void)[] = [];
  remoteAddress = '127.0.0.1';
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.held.push(callback);
  }
  /** Bytes handed to _write so far (written or held). */
  get wire(): Buffer {
    return Buffer.concat(this.chunks);
  }
  get heldWrites(): number {
    return this.held.length;
  }
  /** Completes every write held, and those that follow them, until none is left. */
  async releaseAll(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const held = this.held;
      this.held = [];
      for (const done of held) done();
      await turn();
      if (this.held.length === 0) return;
    }
  }
}

/** The frames of a server's (unmasked) byte stream: [opcode, rsv1, payload]. */
function framesOf(wire: Buffer): { opcode: number; rsv1: boolean; payload: Buffer }[] {
  const frames = [];
  let at = 0;
  while (at + 2 <= wire.length) {
    const opcode = wire[at] & 0x0f;
    const rsv1 = (wire[at] & 0x40) !== 0;
    let length = wire[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) { length = wire.readUInt16BE(at + 2); header = 4; }
    else if (length === 127) { length = Number(wire.readBigUInt64BE(at + 2)); header = 10; }
    frames.push({ opcode, rsv1, payload: wire.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return frames;
}

const deflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

function open(compress: boolean, options: ConnOptions = {}) {
  const socket = new HeldSocket();
  const deflate = compress ? new PerMessageDeflate(deflateParams, 'server', { threshold: 0 }) : undefined;
  const conn = new Conn({ socket: socket as unknown as ConnSocket, role: 'server', deflate, options: { pingIntervalMs: 0, ...options } });
  return { socket, conn };
}

/** A callback recorder: `calls` holds [name, error] in call order; `counts` how often each ran. */
function recorder() {
  const calls: [string, Error | undefined][] = [];
  const counts = new Map<string, number>();
  const cb = (name: string) => (error?: Error) => {
    calls.push([name, error]);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  return { calls, counts, cb };
}

describe.each([['compression off', false], ['compression on', true]] as const)('write callbacks, %s', (_label, compress) => {
  it('a send\'s callback waits for the socket\'s write of its bytes, though its promise has resolved', async () => {
    const { socket, conn } = open(compress);
    const { calls, cb } = recorder();
    let resolved = false;
    void conn.send('hello', {}, cb('hello')).then(() => { resolved = true; });
    await sleep(20); // compressed or not, the frame reaches the socket
    expect(resolved).toBe(true);
    expect(socket.heldWrites).toBeGreaterThan(0);
    expect(calls).toEqual([]); // written to the socket's buffer, not yet by the socket
    await socket.releaseAll();
    expect(calls).toEqual([['hello', undefined]]);
    conn.terminate();
  });

  it('calls send, ping and pong callbacks once each, in call order, after their writes', async () => {
    const { socket, conn } = open(compress);
    const { calls, counts, cb } = recorder();
    const names: string[] = [];
    for (let i = 0; i < 30; i++) {
      const name = i % 10 === 3 ? `ping${i}` : i % 10 === 7 ? `pong${i}` : `m${i}`;
      names.push(name);
      if (name.startsWith('ping')) void conn.ping(name, cb(name));
      else if (name.startsWith('pong')) conn.pong(new TextEncoder().encode(name), cb(name));
      else void conn.send(i % 2 === 0 ? name : new TextEncoder().encode(name.repeat(50)), {}, cb(name));
    }
    await sleep(30);
    expect(calls).toEqual([]);
    await socket.releaseAll();
    for (let i = 0; i < 20 && calls.length < names.length; i++) await sleep(5);
    expect(calls.map(([name]) => name)).toEqual(names);
    expect(calls.every(([, error]) => error === undefined)).toBe(true);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const frames = framesOf(socket.wire);
    expect(frames.filter((f) => f.opcode === 1 || f.opcode === 2).every((f) => f.rsv1 === compress)).toBe(true);
    conn.terminate();
  });

  it('a ping that overtakes a message still compressing is written first, yet its callback waits for the message\'s', async () => {
    const { socket, conn } = open(compress);
    const { calls, cb } = recorder();
    void conn.send('x'.repeat(200_000), {}, cb('big'));
    void conn.ping('p', cb('ping'));
    await sleep(50);
    await socket.releaseAll();
    for (let i = 0; i < 40 && calls.length < 2; i++) await sleep(5);
    expect(calls.map(([name]) => name)).toEqual(['big', 'ping']);
    const opcodes = framesOf(socket.wire).map((f) => f.opcode);
    // Compressed, the ping leaves while the deflate runs; uncompressed, in call order.
    expect(opcodes).toEqual(compress ? [9, 1] : [1, 9]);
    conn.terminate();
  });

  it('terminate() gives every callback not yet written the error, once, in order: held writes, queued frames, a message compressing', async () => {
    const { socket, conn } = open(compress);
    const { calls, counts, cb } = recorder();
    void conn.send('first', {}, cb('first'));
    await sleep(20); // "first" is with the socket, its write held
    void conn.send('y'.repeat(100_000), {}, cb('second')); // compressing (or queued)
    conn.pong(new Uint8Array([1]), cb('pong'));
    void conn.send('third', {}, cb('third')); // never encoded when compressing
    conn.terminate();
    await socket.releaseAll(); // a late write completion changes nothing
    await sleep(30);
    expect(calls.map(([name]) => name)).toEqual(['first', 'second', 'pong', 'third']);
    expect(calls.every(([, error]) => error instanceof Error)).toBe(true);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('a socket error fails the callbacks still waiting', async () => {
    const { socket, conn } = open(compress);
    const { calls, cb } = recorder();
    socket.on('error', () => {});
    void conn.send('a', {}, cb('a'));
    void conn.send('b'.repeat(5000), {}, cb('b'));
    await sleep(20);
    socket.destroy(new Error('ECONNRESET'));
    await sleep(20);
    expect(calls.map(([name]) => name)).toEqual(['a', 'b']);
    expect(calls.every(([, error]) => error instanceof Error)).toBe(true);
  });

  it('a send after close() and a send over maxBufferedBytes get their error later, never synchronously, in order', async () => {
    const { socket, conn } = open(compress, { maxBufferedBytes: 1000 });
    const { calls, cb } = recorder();
    void conn.send('ok', {}, cb('ok'));
    void conn.send(new Uint8Array(5000), {}, cb('too big'));
    expect(calls).toEqual([]);
    void conn.close();
    void conn.send('late', {}, cb('late'));
    conn.close(); // idempotent
    expect(() => conn.pong(new Uint8Array(0), cb('pong'))).toThrow();
    void conn.ping('p', cb('ping'));
    expect(calls).toEqual([]);
    await sleep(20);
    await socket.releaseAll();
    await sleep(10);
    expect(calls.map(([name]) => name)).toEqual(['ok', 'too big', 'late', 'ping']);
    expect(calls[0][1]).toBeUndefined();
    expect((calls[1][1] as { code?: string }).code).toBe('WS_ERR_BUFFER_FULL');
    expect(calls[2][1]).toBeInstanceOf(Error);
    expect(calls[3][1]).toBeInstanceOf(Error);
    conn.terminate();
  });

  it('a streamed message\'s fragments have their own callbacks; callbacks keep call order though the wire does not', async () => {
    const { socket, conn } = open(compress);
    const { calls, cb } = recorder();
    const writer = await conn.nextWriter('text');
    void conn.send('after', {}, cb('after'));
    void writer.write('one ', cb('one'));
    void writer.write('two', cb('two'));
    void writer.close(cb('end'));
    await sleep(20);
    await socket.releaseAll();
    await sleep(20);
    await socket.releaseAll();
    // On the wire 'after' follows the stream's final frame; its callback was given first, so
    // it runs first (call order), once its own write is done.
    expect(framesOf(socket.wire).map((f) => f.opcode)).toEqual([1, 0, 0, 1]);
    expect(calls.map(([name]) => name)).toEqual(['after', 'one', 'two', 'end']);
    conn.terminate();
  });

  it('a callback that throws fails the connection with 1011', async () => {
    const { socket, conn } = open(compress);
    void conn.send('x', {}, () => { throw new Error('callback bug'); });
    await sleep(20);
    await socket.releaseAll();
    await sleep(20);
    await socket.releaseAll();
    const close = framesOf(socket.wire).find((f) => f.opcode === 8);
    expect(close?.payload.readUInt16BE(0)).toBe(1011);
    conn.terminate();
  });
});
