// onPing / onPong that throw or reject: the pong still goes out, nothing escapes into the
// socket's data event, and the connection fails with 1011 carrying the error (issue 12 #10).
import { describe, expect, it } from 'vitest';
import { OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from '../../src/codec/constants';
import type { Conn } from '../../src/conn/connection';
import { CloseError } from '../../src/errors';
import { serve } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';

const boom = new Error('listener broke');
const DEFLATE = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';

type Listener = (payload: Uint8Array) => unknown;
const HOW: [string, Listener][] = [
  ['throws', () => { throw boom; }],
  ['rejects', async () => { throw boom; }],
];

async function setup(extra: string, install: (conn: Conn) => void) {
  let resolveConn!: (c: Conn) => void;
  const got = new Promise<Conn>((r) => { resolveConn = r; });
  const server = await serve({ port: 0, pingIntervalMs: 0 }, (c) => { install(c); resolveConn(c); });
  const { peer, response } = await rawClient(server.address().port, extra, extra !== '');
  expect(response).toMatch(extra ? /permessage-deflate/ : /^HTTP\/1\.1 101/);
  return { server, peer, conn: await got };
}

describe.each([['off', ''], ['on', DEFLATE]])('listeners, permessage-deflate %s', (_name, extra) => {
  it.each(HOW)('a ping is answered and the connection fails with 1011 when onPing %s', async (_how, listener) => {
    const { server, peer, conn } = await setup(extra, (c) => { c.onPing = listener; });
    // A message before the ping is still delivered; the ping's pong still goes out.
    await peer.send(new Uint8Array([...clientFrame(OP_TEXT, 'before'), ...clientFrame(OP_PING, 'p1')]));
    expect((await conn.read()).text()).toBe('before');
    const err = await conn.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloseError);
    expect(err).toMatchObject({ closeCode: 1011, cause: boom });
    await peer.waitClosed();
    const ops = peer.frames.map((f) => f.opcode);
    expect(ops).toEqual([OP_PONG, OP_CLOSE]);
    expect(new TextDecoder().decode(peer.frames[0].payload)).toBe('p1');
    expect(peer.closeFrame()).toEqual([1011, 'onPing failed']);
    expect(await conn.closed).toMatchObject({ code: 1011, wasClean: false });
    await server.close({ timeoutMs: 200 });
  });

  it.each(HOW)('the connection fails with 1011 when onPong %s', async (_how, listener) => {
    const { server, peer, conn } = await setup(extra, (c) => { c.onPong = listener; });
    await peer.send(clientFrame(OP_PONG, 'unasked'));
    expect(await conn.read().catch((e: unknown) => e)).toMatchObject({ closeCode: 1011, cause: boom });
    await peer.waitClosed();
    expect(peer.closeFrame()).toEqual([1011, 'onPong failed']);
    await server.close({ timeoutMs: 200 });
  });

  it('a listener that returns normally changes nothing', async () => {
    const seen: string[] = [];
    const { server, peer, conn } = await setup(extra, (c) => {
      c.onPing = (p) => { seen.push(`ping ${new TextDecoder().decode(p)}`); };
      c.onPong = async (p) => { seen.push(`pong ${new TextDecoder().decode(p)}`); };
    });
    await peer.send(new Uint8Array([...clientFrame(OP_PING, 'a'), ...clientFrame(OP_PONG, 'b'), ...clientFrame(OP_TEXT, 'after')]));
    expect((await conn.read()).text()).toBe('after');
    expect(seen).toEqual(['ping a', 'pong b']);
    expect(conn.readyState).toBe('open');
    peer.socket.destroy();
    await conn.closed;
    await server.close({ timeoutMs: 200 });
  });
});
