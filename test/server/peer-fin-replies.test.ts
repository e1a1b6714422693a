// A peer that sends its last messages and its FIN in one write (no close frame): the
// connection closes with 1006, but the replies the application makes to those messages,
// at once (within the turn they are delivered in), still go out before our FIN, as they do
// before a close echo or a failure's close (core.ts: fail, onCloseFrame). Before, our half
// ended as soon as the FIN was read: on Deno's own sockets (whose read of the FIN resolves
// in the same turn as the data) the reply to all but the first message was refused, and on
// every transport the reply to a message still inflating in zlib's threadpool was; and
// serve()'s node:net sockets were not half-open, so Node ended our half at the FIN itself.
import { randomBytes } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OP_TEXT } from '../../src/codec/constants';
import type { Conn } from '../../src/conn/connection';
import { serve, Upgrader, type WebSocketServer } from '../../src/server';
import type { CallbackHandler } from '../../src/conn/callback-delivery';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** A text frame, compressed alone (RSV1) when `compress`. */
function frame(text: string, compress: boolean): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (!compress) return clientFrame(OP_TEXT, bytes);
  const deflated = deflateRawSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return clientFrame(OP_TEXT, deflated.subarray(0, deflated.length - 4), { rsv1: true });
}

let http: Server | undefined;
let server: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise((r) => (http ? http.close(r) : r(undefined)));
  await server?.close({ timeoutMs: 200 });
  http = undefined;
  server = undefined;
});

/** serve() on node:net with `handler`. */
async function listenServe(compression: boolean, handler: ((conn: Conn) => Promise<void>) | CallbackHandler): Promise<number> {
  server = await serve({ port: 0, compression: compression ? {} : false, pingIntervalMs: 0 }, handler);
  return server.address().port;
}

/** A node:http server (its sockets are half-open) whose upgrades go to `handler`. */
async function listen(compression: boolean, handler: ((conn: Conn) => Promise<void>) | CallbackHandler): Promise<number> {
  const upgrader = new Upgrader({ compression: compression ? {} : false, pingIntervalMs: 0 });
  http = createServer((_req, res) => res.end());
  http.on('upgrade', (req, socket, head) => {
    if (typeof handler === 'function') void handler(upgrader.upgrade(req, socket, head)!);
    else upgrader.upgrade(req, socket, head, handler);
  });
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  return (http.address() as AddressInfo).port;
}

const handlers = {
  'for await + await send': async (conn: Conn) => {
    try { for await (const m of conn) await conn.send(`echo:${m.text().slice(0, 8)}`, { compress: false }); } catch { /* 1006 */ }
  },
  'callback handler': { message: (conn, m) => { void conn.send(`echo:${m.text().slice(0, 8)}`, { compress: false }).catch(() => {}); } } satisfies CallbackHandler,
};

const cases = (['upgrader', 'serve'] as const).flatMap((kind) => (Object.keys(handlers) as (keyof typeof handlers)[]).map((style) => [kind, style] as const));

describe.each([false, true])('the peer sends messages and its FIN in one write (compression %s)', (compression) => {
  it.each(cases)('every reply made at once still goes out before our FIN (%s, %s)', async (kind, style) => {
    const { peer } = await rawClient(await (kind === 'serve' ? listenServe : listen)(compression, handlers[style]), compression ? 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n' : '', compression);
    // Random text (hex) compresses badly: 96 KiB of it stays over the sync inflate limit, so
    // with compression on that message is inflated in the threadpool, after the FIN is read.
    const big = randomBytes(48 * 1024).toString('hex');
    const texts = ['one', 'two', big, 'four'];
    peer.socket.end(concat(texts.map((t) => frame(t, compression))));
    await peer.waitClosed();
    expect(peer.frames.map((f) => decode(f.payload))).toEqual(texts.map((t) => `echo:${t.slice(0, 8)}`));
  });
});

describe('serve() sockets are half-open', () => {
  it('a FIN before the request head ends our half too, without waiting for the handshake deadline', async () => {
    server = await serve({ port: 0, handshakeTimeoutMs: 30_000 }, () => {});
    const { connect } = await import('node:net');
    const socket = connect(server.address().port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    const ended = new Promise<string>((r) => { socket.once('end', () => r('ended')); setTimeout(() => r('still open'), 3000); });
    socket.end('GET / HTTP/1.1\r\nHost: x\r\n'); // half a head, then FIN
    expect(await ended).toBe('ended');
    expect(server.connections.size).toBe(0);
    socket.destroy();
  });
});
