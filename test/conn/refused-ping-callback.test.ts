// A ping refused because MAX_PENDING_PINGS wait: its write callback keeps its call-order place.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Conn, type ConnSocket } from '../../src/conn/connection';
import { MAX_PENDING_PINGS } from '../../src/conn/pings';

class Sink extends Duplex {
  remoteAddress = '127.0.0.1';
  override _read(): void {}
  override _write(_c: Buffer, _e: BufferEncoding, cb: (error?: Error | null) => void): void { cb(); }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a refused ping (too many waiting) with a callback', () => {
  it('gets its error before the callbacks of the calls after it, as a refused send does', async () => {
    const conn = new Conn({ socket: new Sink() as unknown as ConnSocket, role: 'server', options: { pingIntervalMs: 0 } });
    for (let i = 0; i < MAX_PENDING_PINGS; i++) void conn.ping(`p${i}`).catch(() => {});
    await sleep(10);
    const calls: string[] = [];
    void conn.ping('over', (e) => calls.push(`ping:${e ? (e as { code?: string }).code ?? 'err' : 'ok'}`)).catch(() => {});
    void conn.send('after', {}, (e) => calls.push(`send:${e ? 'err' : 'ok'}`));
    await conn.send('refused-later', {}, undefined);
    await sleep(20);
    expect(calls).toEqual(['ping:WS_ERR_TOO_MANY_PINGS', 'send:ok']);
    conn.terminate();
  });
});
