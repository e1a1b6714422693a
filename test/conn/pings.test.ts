// conn.ping(): a deadline, a bound on pings waiting, and settling on the right pong (issue 12 #28).
import { describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { OP_PING, OP_PONG, OP_TEXT } from '../../src/codec/constants';
import type { Conn } from '../../src/conn/connection';
import { MAX_PENDING_PINGS } from '../../src/conn/pings';
import { TimeoutError, WebSocketError } from '../../src/errors';
import type { RawPeer } from '../helpers/raw-peer';
import { rawServer } from '../helpers/raw-peer';
import { serverFrame } from '../helpers/frames';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client Conn on a raw server peer that never answers a ping unless told to. */
async function setup(pongTimeoutMs: number, compression: boolean) {
  let resolvePeer!: (p: RawPeer) => void;
  const got = new Promise<RawPeer>((r) => { resolvePeer = r; });
  const { server, port } = await rawServer((peer) => resolvePeer(peer));
  const conn: Conn = await dial(`ws://127.0.0.1:${port}/`, { pongTimeoutMs, compression });
  return { server, conn, peer: await got };
}

describe.each([['off', false], ['on', true]] as const)('conn.ping(), permessage-deflate %s', (_name, compression) => {
  it('rejects with a TimeoutError after pongTimeoutMs when no pong comes, and the connection stays open', async () => {
    const { server, conn, peer } = await setup(80, compression);
    const started = Date.now();
    const err = await conn.ping('anyone?').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'WS_ERR_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(conn.readyState).toBe('open');
    await peer.send(serverFrame(OP_TEXT, 'still here'));
    expect((await conn.read()).text()).toBe('still here');
    conn.terminate();
    server.close();
  });

  it(`refuses a ping (WS_ERR_TOO_MANY_PINGS, not sent) while ${MAX_PENDING_PINGS} are waiting`, async () => {
    const { server, conn, peer } = await setup(0, compression); // 0: no deadline, only the bound
    const waiting = Array.from({ length: MAX_PENDING_PINGS }, (_, i) => conn.ping(`p${i}`));
    const refused = await conn.ping('one too many').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebSocketError);
    expect(refused).toMatchObject({ code: 'WS_ERR_TOO_MANY_PINGS' });
    await peer.waitFrames(MAX_PENDING_PINGS);
    await sleep(30);
    expect(peer.frames.filter((f) => f.opcode === OP_PING)).toHaveLength(MAX_PENDING_PINGS);
    // A pong for the latest settles every older ping too; then there is room again.
    await peer.send(serverFrame(OP_PONG, `p${MAX_PENDING_PINGS - 1}`));
    const rtts = await Promise.all(waiting);
    expect(rtts.every((ms) => ms >= 0)).toBe(true);
    const again = conn.ping('room again');
    await peer.waitFrames(MAX_PENDING_PINGS + 1);
    await peer.send(serverFrame(OP_PONG, 'room again'));
    expect(await again).toBeGreaterThanOrEqual(0);
    conn.terminate();
    server.close();
  });

  it('a pong in time settles the ping, and its deadline never fires afterwards', async () => {
    const { server, conn, peer } = await setup(60, compression);
    const rtt = conn.ping('quick');
    await peer.waitFrames(1);
    await peer.send(serverFrame(OP_PONG, 'quick'));
    expect(await rtt).toBeGreaterThanOrEqual(0);
    await sleep(100); // past the deadline: nothing rejects, nothing closes
    expect(conn.readyState).toBe('open');
    conn.terminate();
    server.close();
  });

  it('a heartbeat nobody awaits (void conn.ping()) never crashes: no unhandled rejection when the peer goes, and ping() on a closed connection rejects rather than throws', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { server, conn, peer } = await setup(50, compression);
      void conn.ping('timed out');
      await sleep(120); // its pong deadline passed
      void conn.ping('cut off');
      await peer.waitFrames(2);
      peer.socket.destroy();
      await conn.closed;
      let thrown: unknown;
      let rejected: unknown;
      try {
        rejected = await conn.ping('too late').catch((e: unknown) => e);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeUndefined();
      expect(rejected).toBeInstanceOf(WebSocketError);
      await sleep(50);
      expect(unhandled).toEqual([]);
      server.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects waiting pings with the close error when the connection closes first', async () => {
    const { server, conn, peer } = await setup(10_000, compression);
    const rtt = conn.ping('never');
    await peer.waitFrames(1);
    peer.socket.destroy();
    expect(await rtt.catch((e: unknown) => e)).toMatchObject({ code: 'WS_ERR_CLOSED', closeCode: 1006 });
    server.close();
  });
});
