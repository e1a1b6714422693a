import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type WebSocketServer } from '../../src/server';
import { WebSocket, WebSocketCloseEvent, WebSocketMessageEvent } from '../../src/websocket';

// The WHATWG WebSocket's argument rules (WebIDL conversions and the standard's checks),
// its event handler attributes and event classes. https://websockets.spec.whatwg.org/

function next<E extends Event>(ws: WebSocket, type: string): Promise<E> {
  return new Promise((resolve) => ws.addEventListener(type, (e) => resolve(e as E), { once: true }));
}

const syntaxError = expect.objectContaining({ name: 'SyntaxError' });

describe('WebSocket constructor (WHATWG)', () => {
  it('refuses a URL with a fragment, even an empty one, with a SyntaxError (issue 12 #30)', () => {
    expect(() => new WebSocket('ws://127.0.0.1:1/#')).toThrow(syntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/?q#')).toThrow(syntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/#x')).toThrow(syntaxError);
    expect(() => new WebSocket('/relative')).toThrow(syntaxError);
    expect(() => new WebSocket('ftp://127.0.0.1:1/')).toThrow(syntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/#')).toThrow(DOMException);
  });

  it('compares subprotocols case-insensitively for duplicates, and checks each is a token (issue 12 #30)', () => {
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['chat', 'CHAT'])).toThrow(syntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', '')).toThrow(syntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['a b'])).toThrow(syntaxError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['chat', 'superchat'])).not.toThrow();
  });

  it('maps http: and https: to ws: and wss:', () => {
    expect(new WebSocket('http://127.0.0.1:1/a?b').url).toBe('ws://127.0.0.1:1/a?b');
    expect(new WebSocket('https://127.0.0.1:1/').url).toBe('wss://127.0.0.1:1/');
    expect(new WebSocket(new URL('ws://127.0.0.1:1/x')).url).toBe('ws://127.0.0.1:1/x');
  });

  it('stops connecting when the signal given in the options aborts: error, then close 1006', async () => {
    // A server that accepts TCP and never answers the handshake.
    const accepted: Socket[] = [];
    const silent: Server = createServer((socket) => { accepted.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const controller = new AbortController();
    const ws = new WebSocket(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, [], { signal: controller.signal });
    const order: string[] = [];
    ws.addEventListener('error', () => order.push('error'));
    const closed = next<WebSocketCloseEvent>(ws, 'close');
    setTimeout(() => controller.abort(), 20);
    const ev = await closed;
    expect(order).toEqual(['error']);
    expect([ev.code, ev.wasClean, ws.readyState]).toEqual([1006, false, WebSocket.CLOSED]);
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
});

describe.each([true, false])('WebSocket (WHATWG) on a live connection, compression %s', (compression) => {
  let server: WebSocketServer;
  let url = '';
  const received: { type: string; bytes: number[] }[] = [];

  beforeAll(async () => {
    server = await serve({ port: 0, compression }, async (conn) => {
      try {
        for await (const m of conn) {
          received.push({ type: m.type, bytes: [...m.data] });
          await conn.send(m.type === 'text' ? m.text() : m.data);
        }
      } catch { /* closed */ }
    });
    url = `ws://127.0.0.1:${server.address().port}/`;
  });
  afterAll(() => server.close({ timeoutMs: 200 }));

  it('ignores an invalid binaryType instead of storing it (issue 12 #30)', async () => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    (ws as { binaryType: string }).binaryType = 'bogus';
    expect(ws.binaryType).toBe('arraybuffer');
    await next(ws, 'open');
    ws.send(new Uint8Array([1, 2]));
    const ev = await next<WebSocketMessageEvent>(ws, 'message');
    expect(ev.data).toBeInstanceOf(ArrayBuffer);
    ws.close();
    await next(ws, 'close');
  });

  it('throws TypeError for a SharedArrayBuffer or a view on one, before anything else (issue 12 #30)', async () => {
    const ws = new WebSocket(url);
    const shared = new SharedArrayBuffer(4);
    expect(() => ws.send(shared)).toThrow(TypeError);
    expect(() => ws.send(new Uint8Array(shared))).toThrow(TypeError);
    await next(ws, 'open');
    expect(() => ws.send(shared)).toThrow(TypeError);
    expect(() => ws.send(new DataView(shared))).toThrow(TypeError);
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
    await next(ws, 'close');
  });

  it('sends a value of no BufferSource or Blob type as its string, as WebIDL converts it', async () => {
    const ws = new WebSocket(url);
    await next(ws, 'open');
    const before = received.length;
    ws.send(42 as unknown as string);
    const ev = await next<WebSocketMessageEvent>(ws, 'message');
    expect(ev.data).toBe('42');
    expect(received.slice(before)).toEqual([{ type: 'text', bytes: [0x34, 0x32] }]);
    ws.close();
    await next(ws, 'close');
  });

  it('dispatches the runtime\'s MessageEvent and, where it has one, CloseEvent (issue 12 #30)', async () => {
    const ws = new WebSocket(url);
    await next(ws, 'open');
    ws.send('x');
    const message = await next<WebSocketMessageEvent>(ws, 'message');
    expect(message).toBeInstanceOf(MessageEvent);
    expect(message).toBeInstanceOf(WebSocketMessageEvent);
    expect([message.data, message.origin]).toEqual(['x', new URL(url).origin]);
    ws.close(4001, 'r');
    const close = await next<WebSocketCloseEvent>(ws, 'close');
    const runtimeClose = (globalThis as unknown as { CloseEvent?: typeof Event }).CloseEvent;
    if (runtimeClose) expect(close).toBeInstanceOf(runtimeClose);
    expect(close).toBeInstanceOf(WebSocketCloseEvent);
    expect(close).toBeInstanceOf(Event);
    // The reason is the peer's: a wasmws server echoes the code and the reason (issue 12 #17).
    expect([close.type, close.code, close.reason, close.wasClean]).toEqual(['close', 4001, 'r', true]);
  });

  it('runs on<type> handlers in the order they were first set among listeners; null or a non-function removes it', async () => {
    const ws = new WebSocket(url);
    const order: string[] = [];
    ws.addEventListener('message', () => order.push('listener'));
    ws.onmessage = () => order.push('onmessage');
    expect(typeof ws.onmessage).toBe('function');
    await next(ws, 'open');
    ws.send('one');
    await next(ws, 'message');
    expect(order).toEqual(['listener', 'onmessage']);
    ws.onmessage = 'not a function' as unknown as null;
    expect(ws.onmessage).toBe(null);
    ws.send('two');
    await next(ws, 'message');
    expect(order).toEqual(['listener', 'onmessage', 'listener']);
    ws.close();
    await next(ws, 'close');
  });

  it('keeps the bytes of a binary send even when the caller reuses its buffer at once', async () => {
    const ws = new WebSocket(url);
    await next(ws, 'open');
    const before = received.length;
    const buffer = new Uint8Array(4096).fill(1);
    ws.send(buffer);
    buffer.fill(2);
    ws.send(buffer);
    buffer.fill(3);
    ws.binaryType = 'arraybuffer';
    const echoes: number[] = [];
    await new Promise<void>((resolve) => {
      ws.onmessage = (e) => { echoes.push(new Uint8Array(e.data as ArrayBuffer)[4095]); if (echoes.length === 2) resolve(); };
    });
    expect(echoes).toEqual([1, 2]);
    expect(received.slice(before).map((m) => m.bytes[0])).toEqual([1, 2]);
    ws.close();
    await next(ws, 'close');
  });

  it('flags the socket full past maxBufferedBytes: error, then close 1006, nothing silently dropped', async () => {
    const ws = new WebSocket(url, [], { maxBufferedBytes: 1024 });
    await next(ws, 'open');
    const order: string[] = [];
    ws.onerror = () => order.push('error');
    const closed = next<WebSocketCloseEvent>(ws, 'close');
    ws.send(crypto.getRandomValues(new Uint8Array(4096))); // random: compression cannot shrink it under the limit
    const ev = await closed;
    expect(order).toEqual(['error']);
    expect([ev.code, ev.wasClean]).toEqual([1006, false]);
  });
});
