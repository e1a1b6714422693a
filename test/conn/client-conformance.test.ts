import { afterEach, describe, expect, it } from 'vitest';
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../../src/codec/constants';
import type { CodecKind } from '../../src/codec/select';
import { dial } from '../../src/client';
import { CloseError } from '../../src/errors';
import { hex } from '../helpers/codecs';
import { serverFrame } from '../helpers/frames';
import type { RawPeer } from '../helpers/raw-peer';
import { CODEC_TRANSPORTS, rawServerOver, type Transport } from '../helpers/transports';
import { concat } from '../helpers/reader';

// The client side of RFC 6455 against a raw server peer that sends exact bytes.

let servers: { close(): unknown }[] = [];
afterEach(() => { for (const s of servers) s.close(); servers = []; });

async function withPeer(codec: CodecKind, transport: Transport, script: (peer: RawPeer) => Promise<void> | void) {
  let resolvePeer!: (p: RawPeer) => void;
  const peerReady = new Promise<RawPeer>((r) => { resolvePeer = r; });
  const { server, url, dialOptions } = await rawServerOver(transport, async (peer) => { resolvePeer(peer); await script(peer); });
  servers.push(server);
  const conn = await dial(url, { ...dialOptions, codec });
  return { conn, peer: await peerReady };
}

// Each case runs over TCP and over HTTP/2 streams (RFC 8441): framing does not change.
describe.each(CODEC_TRANSPORTS)('client conformance, %s codec over %s', (codec, transport) => {
  it('reads unmasked server frames, whole and one byte per write', async () => {
    const { conn } = await withPeer(codec, transport, (peer) => peer.send(concat([serverFrame(OP_TEXT, 'Hello'), serverFrame(OP_BINARY, new Uint8Array(70000).fill(5))]), true));
    expect((await conn.read()).text()).toBe('Hello');
    const big = await conn.read();
    expect([big.type, big.data.length, big.data[69999]]).toEqual(['binary', 70000, 5]);
    conn.terminate();
  });

  it('masks every frame it sends, with a different key each time', async () => {
    const { conn, peer } = await withPeer(codec, transport, () => {});
    await conn.send('one');
    await conn.send('one');
    await peer.waitFrames(2);
    expect(peer.frames.map((f) => new TextDecoder().decode(f.payload))).toEqual(['one', 'one']);
    expect(peer.errors).toEqual([]); // the server-role reader rejects unmasked frames
    conn.terminate();
  });

  it('answers a ping with a pong and resolves its own ping with the RTT', async () => {
    const { conn, peer } = await withPeer(codec, transport, (p) => p.send(serverFrame(OP_PING, 'hi')));
    await peer.waitFrames(1);
    expect(peer.frames[0]).toMatchObject({ opcode: OP_PONG });
    const rtt = conn.ping('x');
    await peer.waitFrames(2);
    expect(peer.frames[1].opcode).toBe(OP_PING);
    await peer.send(serverFrame(OP_PONG, 'x'));
    expect(await rtt).toBeGreaterThanOrEqual(0);
    conn.terminate();
  });

  it('fails with 1002 on a masked server frame', async () => {
    const { conn, peer } = await withPeer(codec, transport, (p) => p.send(hex('81 81 01 02 03 04 60')));
    const info = await conn.closed;
    expect(info).toMatchObject({ code: 1002, wasClean: false });
    await peer.waitFrames(1);
    expect(peer.closeFrame()?.[0]).toBe(1002);
  });

  it('fails with 1007 on invalid UTF-8 and rejects read() with the CloseError', async () => {
    const { conn } = await withPeer(codec, transport, (p) => p.send(serverFrame(OP_TEXT, hex('ed a0 80'))));
    await expect(conn.read()).rejects.toMatchObject({ closeCode: 1007 });
    await conn.closed;
  });

  it('echoes the server close with its code and reason, waits for the server to end TCP, and reports a clean close', async () => {
    const { conn, peer } = await withPeer(codec, transport, async (p) => {
      await p.send(serverFrame(OP_CLOSE, hex('0f a0 62 79 65')));
      await p.waitFrames(1);
      p.socket.end();
    });
    await expect(conn.read()).rejects.toBeInstanceOf(CloseError);
    expect(await conn.closed).toEqual({ code: 4000, reason: 'bye', wasClean: true });
    expect(peer.closeFrame()).toEqual([4000, 'bye']); // the reason too (issue 12, finding 17)
  });

  it('ends iteration quietly on a normal close', async () => {
    const { conn } = await withPeer(codec, transport, async (p) => {
      await p.send(concat([serverFrame(OP_TEXT, 'a'), serverFrame(OP_TEXT, 'b'), serverFrame(OP_CLOSE, hex('03 e8'))]));
      await p.waitFrames(1);
      p.socket.end();
    });
    const seen: string[] = [];
    for await (const msg of conn) seen.push(msg.text());
    expect(seen).toEqual(['a', 'b']);
  });

  it('throws from iteration on an abnormal close (TCP drop)', async () => {
    const { conn } = await withPeer(codec, transport, (p) => { p.socket.destroy(); });
    await expect((async () => { for await (const _ of conn) { /* none */ } })()).rejects.toMatchObject({ closeCode: 1006 });
  });

  it('close() sends 1000 and resolves once the server closes', async () => {
    const { conn, peer } = await withPeer(codec, transport, async (p) => {
      await p.waitFrames(1);
      await p.send(serverFrame(OP_CLOSE, p.frames[0].payload));
      p.socket.end();
    });
    expect(await conn.close(1000, 'done')).toEqual({ code: 1000, reason: 'done', wasClean: true });
    expect(peer.closeFrame()).toEqual([1000, 'done']);
    await expect(conn.send('late')).rejects.toThrow(/closing or closed/);
  });

  it('gives up on a peer that never answers the close, after closeTimeoutMs', async () => {
    let resolvePeer!: (p: RawPeer) => void;
    const ready = new Promise<RawPeer>((r) => { resolvePeer = r; });
    const { server, url, dialOptions } = await rawServerOver(transport, (p) => resolvePeer(p));
    servers.push(server);
    const conn = await dial(url, { ...dialOptions, codec, closeTimeoutMs: 200 });
    await ready;
    expect(await conn.close()).toMatchObject({ wasClean: false, code: 1006 });
  });
});
