import { afterEach, describe, expect, it } from 'vitest';
import { serverFrame } from '../helpers/frames';
import type { RawPeer } from '../helpers/raw-peer';
import { WebSocket, type WebSocketCloseEvent } from '../../src/websocket';
import { rawWsServer, type RawWsServer } from './raw-server';

// The WHATWG WebSocket against a raw peer that writes exact frames: the standard's rules for
// send() after the peer closed, close() without a code, failed connections, event order.
// https://websockets.spec.whatwg.org/

const OP_TEXT = 1;
const OP_CLOSE = 8;

function closePayload(code: number, reason = ''): Uint8Array {
  const r = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function next<E extends Event>(ws: WebSocket, type: string): Promise<E> {
  return new Promise((resolve) => ws.addEventListener(type, (e) => resolve(e as E), { once: true }));
}

/** Waits until the peer has received a close frame, then echoes it (as a server must). */
async function echoClose(peer: RawPeer): Promise<[number, string] | undefined> {
  await peer.waitFrames(1);
  for (let i = 0; i < 100 && !peer.closeFrame() && !peer.ended; i++) await peer.waitFrames(peer.frames.length + 1);
  const close = peer.frames.find((f) => f.opcode === OP_CLOSE);
  if (close) peer.socket.end(serverFrame(OP_CLOSE, close.payload));
  else peer.socket.end();
  return peer.closeFrame();
}

let server: RawWsServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

describe.each([false, true])('WebSocket (WHATWG) against a raw peer, permessage-deflate %s', (deflate) => {
  it('send() in onmessage does not throw when the last message and the close frame arrive in one read (issue 12 #9)', async () => {
    let wire: { opcode: number; text: string }[] = [];
    server = await rawWsServer(deflate, async (peer) => {
      peer.socket.write(concat(serverFrame(OP_TEXT, 'last'), serverFrame(OP_CLOSE, closePayload(1000, 'done'))));
      await peer.waitFrames(2); // the reply, then the client's echo: then the server ends TCP
      wire = peer.frames.map((f) => ({ opcode: f.opcode, text: f.opcode === OP_TEXT ? new TextDecoder().decode(f.payload) : '' }));
      peer.socket.end();
    });
    const ws = new WebSocket(server.url);
    let thrown: unknown;
    let bufferedAfter = -1;
    ws.onmessage = () => {
      try { ws.send('reply'); } catch (err) { thrown = err; }
      bufferedAfter = ws.bufferedAmount;
    };
    const ev = await next<WebSocketCloseEvent>(ws, 'close');
    expect(thrown).toBeUndefined();
    // As in a browser, the last message is dispatched while OPEN: the reply made at once goes
    // out ahead of the close echo (it used to be discarded, counted in bufferedAmount).
    expect(bufferedAfter).toBeGreaterThanOrEqual(5);
    expect(wire).toEqual([{ opcode: OP_TEXT, text: 'reply' }, { opcode: OP_CLOSE, text: '' }]);
    expect([ev.code, ev.reason, ev.wasClean]).toEqual([1000, 'done', true]);
    expect(ws.extensions).toBe(deflate ? 'permessage-deflate' : '');
  });

  it('close() without arguments sends a close frame with no code, and reports the 1005 echoed (issue 12 #16)', async () => {
    let received: Promise<[number, string] | undefined> | undefined;
    server = await rawWsServer(deflate, (peer) => { received = echoClose(peer); });
    const ws = new WebSocket(server.url);
    await next(ws, 'open');
    ws.close();
    const ev = await next<WebSocketCloseEvent>(ws, 'close');
    expect(await received).toEqual([1005, '']);
    expect([ev.code, ev.reason, ev.wasClean]).toEqual([1005, '', true]);
  });

  it('close(undefined, reason) sends 1000 with the reason; close(3000.5) rounds as WebIDL [Clamp] does', async () => {
    const seen: Promise<[number, string] | undefined>[] = [];
    server = await rawWsServer(deflate, (peer) => { seen.push(echoClose(peer)); });
    const a = new WebSocket(server.url);
    await next(a, 'open');
    a.close(undefined, 'bye');
    await next(a, 'close');
    const b = new WebSocket(server.url);
    await next(b, 'open');
    expect(() => b.close(4999.5)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' })); // rounds to 5000
    expect(() => b.close(Number.NaN)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' })); // NaN is 0
    expect(() => b.close(1000, '\uD800'.repeat(42))).toThrow(expect.objectContaining({ name: 'SyntaxError' })); // 126 bytes as U+FFFD
    expect(b.readyState).toBe(WebSocket.OPEN);
    b.close(3000.5);
    await next(b, 'close');
    expect(await Promise.all(seen)).toEqual([[1000, 'bye'], [3000, '']]);
  });

  it('dispatches no message once close() was called, even one already received', async () => {
    server = await rawWsServer(deflate, async (peer) => {
      peer.socket.write(concat(serverFrame(OP_TEXT, 'a'), serverFrame(OP_TEXT, 'b')));
      // After the client's close frame: data the peer still sends before its echo.
      await peer.waitFrames(1);
      peer.socket.write(serverFrame(OP_TEXT, 'c'));
      await echoClose(peer);
    });
    const ws = new WebSocket(server.url);
    const got: unknown[] = [];
    ws.onmessage = (e) => { got.push(e.data); ws.close(1000); };
    const ev = await next<WebSocketCloseEvent>(ws, 'close');
    expect(got).toEqual(['a']);
    expect([ev.code, ev.wasClean]).toEqual([1000, true]);
  });

  it('a connection we fail (reserved opcode) fires error, then close with 1006 and no reason (issue 12 #16)', async () => {
    let peerSaw: Promise<RawPeer> | undefined;
    server = await rawWsServer(deflate, (peer) => {
      peer.socket.write(serverFrame(3, 'reserved'));
      peerSaw = peer.waitFrames(1).then(() => { peer.socket.end(); return peer; });
    });
    const ws = new WebSocket(server.url);
    const order: string[] = [];
    ws.onerror = () => order.push('error');
    ws.onclose = () => order.push('close');
    const ev = await next<WebSocketCloseEvent>(ws, 'close');
    expect(order).toEqual(['error', 'close']);
    expect([ev.code, ev.reason, ev.wasClean]).toEqual([1006, '', false]);
    expect((await peerSaw!).closeFrame()?.[0]).toBe(1002); // what went on the wire is still 1002
  });

  it('a Blob sent before close() goes out before the close frame, and counts in bufferedAmount at once', async () => {
    let received: Promise<RawPeer> | undefined;
    server = await rawWsServer(deflate, (peer) => { received = echoClose(peer).then(() => peer); });
    const ws = new WebSocket(server.url);
    await next(ws, 'open');
    ws.send(new Blob([new Uint8Array(1000).fill(7)]));
    ws.send('after');
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(1005);
    ws.close(1000);
    ws.send('dropped');
    const ev = await next<WebSocketCloseEvent>(ws, 'close');
    expect(ev.wasClean).toBe(true);
    const peer = await received!;
    expect(peer.frames.map((f) => f.opcode)).toEqual([2, 1, OP_CLOSE]);
    expect(ws.bufferedAmount).toBe(7); // 'dropped' stays counted after close
  });
});
