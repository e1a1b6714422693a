import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type WebSocketServer } from '../src/server';
import { WebSocket, type WebSocketCloseEvent, type WebSocketMessageEvent } from '../src/websocket';

function next<E extends Event>(ws: WebSocket, type: string): Promise<E> {
  return new Promise((resolve) => ws.addEventListener(type, (e) => resolve(e as E), { once: true }));
}

describe('WebSocket (WHATWG)', () => {
  let server: WebSocketServer;
  let url = '';

  beforeAll(async () => {
    server = await serve({ port: 0, subprotocols: ['chat'] }, async (conn) => {
      try {
        for await (const m of conn) {
          if (m.type === 'text' && m.text() === 'close-me') await conn.close(4000, 'asked');
          else await conn.send(m.type === 'text' ? m.text() : m.data);
        }
      } catch { /* closed */ }
    });
    url = `ws://127.0.0.1:${server.address().port}/`;
  });
  afterAll(() => server.close({ timeoutMs: 200 }));

  it('opens, echoes text and binary per binaryType, and closes with the standard events', async () => {
    const ws = new WebSocket(url, ['chat']);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(() => ws.send('too early')).toThrow(/connecting/);
    const opened = next(ws, 'open');
    let onopenCalled = false;
    ws.onopen = () => { onopenCalled = true; };
    await opened;
    expect(onopenCalled).toBe(true);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(ws.protocol).toBe('chat');

    ws.send('hello');
    expect((await next<WebSocketMessageEvent>(ws, 'message')).data).toBe('hello');
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array([1, 2, 3]));
    const ab = (await next<WebSocketMessageEvent>(ws, 'message')).data as ArrayBuffer;
    expect([...new Uint8Array(ab)]).toEqual([1, 2, 3]);
    ws.binaryType = 'blob';
    ws.send(new Blob([new Uint8Array([9])]));
    const blob = (await next<WebSocketMessageEvent>(ws, 'message')).data as Blob;
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([9]);
    // A Blob is read asynchronously; a send after it must still go out after it.
    const inOrder: unknown[] = [];
    const both = new Promise<void>((resolve) => {
      const onMessage = (e: Event) => {
        inOrder.push((e as WebSocketMessageEvent).data);
        if (inOrder.length === 2) { ws.removeEventListener('message', onMessage); resolve(); }
      };
      ws.addEventListener('message', onMessage);
    });
    ws.send(new Blob(['blob first']));
    ws.send('string second');
    await both;
    expect(inOrder[1]).toBe('string second');
    expect(await (inOrder[0] as Blob).text()).toBe('blob first');
    ws.binaryType = 'nodebuffer';
    ws.send(new Uint8Array([7]));
    expect(Buffer.isBuffer((await next<WebSocketMessageEvent>(ws, 'message')).data)).toBe(true);

    const closed = next<WebSocketCloseEvent>(ws, 'close');
    ws.close(1000, 'bye');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    const ev = await closed;
    expect([ev.code, ev.wasClean]).toEqual([1000, true]);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    ws.send('after close'); // discarded, counted
    expect(ws.bufferedAmount).toBe(11);
  });

  it('reports a server-initiated close', async () => {
    const ws = new WebSocket(url);
    await next(ws, 'open');
    const closed = next<WebSocketCloseEvent>(ws, 'close');
    ws.send('close-me');
    const ev = await closed;
    expect([ev.code, ev.reason, ev.wasClean]).toEqual([4000, 'asked', true]);
  });

  it('follows the standard\'s argument rules', () => {
    expect(() => new WebSocket('ftp://x/')).toThrow(/scheme/);
    expect(() => new WebSocket('ws://x/#frag')).toThrow(/fragment/);
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['a', 'a'])).toThrow(/subprotocol/);
    expect(new WebSocket('http://127.0.0.1:1/').url).toBe('ws://127.0.0.1:1/');
    const ws = new WebSocket(url);
    expect(() => ws.close(1001)).toThrow(/1000 or 3000-4999/);
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(/123 bytes/);
    ws.close();
  });

  it('fires error then close (1006) when the connection cannot be made', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/');
    const order: string[] = [];
    ws.onerror = () => order.push('error');
    const closed = next<WebSocketCloseEvent>(ws, 'close');
    const ev = await closed;
    order.push('close');
    expect(order).toEqual(['error', 'close']);
    expect([ev.code, ev.wasClean]).toEqual([1006, false]);
  });
});
