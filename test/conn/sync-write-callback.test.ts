// A socket whose write calls its callback before write() returns (Bun's: the kernel took the
// bytes at once, NativeSocket.wrote() runs inside write()): a write callback that sends again
// from there must not lose that message (nor its own callback).
import { describe, expect, it } from 'vitest';
import { Conn, type ConnSocket } from '../../src/conn/connection';
import { PerMessageDeflate } from '../../src/extensions/permessage-deflate';
import { NativeSocket } from '../../src/transport/native-socket';

class SyncSocket extends NativeSocket {
  readonly wire: Uint8Array[] = [];
  protected send(): void {
    for (;;) {
      const head = this.queue[0];
      this.wire.push(head.slice());
      this.wrote(head.length); // all of it, now: the callback runs inside write()
      if (this.queue.length === 0) return this.drained();
    }
  }
  fin = -1;
  protected shutdown(): void { this.fin = this.wire.length; }
  protected terminate(): void { this.closedNow(); }
  protected setReading(): void {}
}

/** The payloads of the server's (unmasked, unfragmented, short) frames. */
function payloads(wire: Uint8Array[]): string[] {
  const bytes = Buffer.concat(wire);
  const out: string[] = [];
  for (let at = 0; at + 2 <= bytes.length;) {
    const length = bytes[at + 1] & 0x7f;
    out.push(bytes.subarray(at + 2, at + 2 + length).toString());
    at += 2 + length;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

describe.each([false, true])('write callbacks on a socket that completes writes at once (compression %s)', (compress) => {
  it('a message sent from a write callback goes out, and its callback is called', async () => {
    const socket = new SyncSocket();
    // A high threshold: nothing is compressed, so the frames can be read as they are.
    const deflate = compress ? new PerMessageDeflate(deflateParams, 'server', { threshold: 1 << 20 }) : undefined;
    const conn = new Conn({ socket: socket as unknown as ConnSocket, role: 'server', deflate, options: { pingIntervalMs: 0 } });
    const calls: string[] = [];
    void conn.send('one', {}, (error) => {
      calls.push(`one:${error ? 'error' : 'ok'}`);
      void conn.send('two', {}, (e) => {
        calls.push(`two:${e ? 'error' : 'ok'}`);
        void conn.send('three', {}, (e3) => calls.push(`three:${e3 ? 'error' : 'ok'}`));
      });
    });
    for (let i = 0; i < 20 && calls.length < 3; i++) await sleep(5);
    expect(calls).toEqual(['one:ok', 'two:ok', 'three:ok']);
    expect(payloads(socket.wire)).toEqual(['one', 'two', 'three']);
    conn.terminate();
  });

  it('a close from a write callback: its frame goes after the messages before it, and before our FIN', async () => {
    const socket = new SyncSocket();
    const deflate = compress ? new PerMessageDeflate(deflateParams, 'server', { threshold: 1 << 20 }) : undefined;
    const conn = new Conn({ socket: socket as unknown as ConnSocket, role: 'server', deflate, options: { pingIntervalMs: 0, closeTimeoutMs: 50 } });
    void conn.send('one', {}, () => {
      void conn.send('two');
      void conn.close(1000).catch(() => {});
    });
    await sleep(20);
    const wire = Buffer.concat(socket.wire);
    expect(payloads(socket.wire).slice(0, 2)).toEqual(['one', 'two']);
    // The third frame is the close (opcode 8), written before shutdown() sent our FIN.
    const third = 2 + 3 + 2 + 3;
    expect(wire[third] & 0x0f).toBe(8);
    expect(socket.fin === -1 || Buffer.concat(socket.wire.slice(0, socket.fin)).length > third).toBe(true);
    conn.terminate();
  });

  it('a send then terminate() from a write callback: what was written is not written again', async () => {
    const socket = new SyncSocket();
    const deflate = compress ? new PerMessageDeflate(deflateParams, 'server', { threshold: 1 << 20 }) : undefined;
    const conn = new Conn({ socket: socket as unknown as ConnSocket, role: 'server', deflate, options: { pingIntervalMs: 0 } });
    let error: Error | undefined;
    void conn.send('one', {}, () => {
      void conn.send('two', {}, (e) => { error = e; }).catch(() => {});
      conn.terminate(); // flushes what is queued, then destroys the socket
    });
    await sleep(20);
    expect(payloads(socket.wire)).toEqual(['one', 'two']);
    expect(conn.bufferedAmount).toBe(0);
    void error;
  });
});
