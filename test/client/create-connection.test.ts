// dial()'s createConnection, onResponse and beforeRedirect, and the chunked error body.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { HandshakeError, WebSocketError } from '../../src/errors';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { ChunkedDecoder } from '../../src/handshake/chunked';
import { fakeHttpServer } from '../helpers/handshake-peers';

let cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });

const keyOf = (head: string) => /sec-websocket-key: (\S+)/i.exec(head)![1];
const switching = (head: string) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(keyOf(head))}\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n`;

async function peer(respond: (head: string) => string) {
  const server = await fakeHttpServer(respond);
  cleanup.push(() => server.close());
  return server;
}

describe('dial({ createConnection })', () => {
  it('runs the handshake over the stream it returns (even a promise of one), and reports the 101 through onResponse', async () => {
    const server = await peer(switching);
    const targets: string[] = [];
    const heads: unknown[] = [];
    const conn = await dial(`ws://example.invalid:${server.port}/x`, {
      createConnection: async (t) => { targets.push(`${t.host}:${t.port} ${t.secure} ${t.url.pathname}`); return netConnect(t.port, '127.0.0.1'); },
      onResponse: (head) => heads.push(head),
    });
    conn.terminate();
    expect(targets).toEqual([`example.invalid:${server.port} false /x`]);
    expect(server.heads[0]).toMatch(new RegExp(`host: example.invalid:${server.port}`, 'i'));
    expect(heads).toMatchObject([{ status: 101, statusText: 'Switching Protocols', httpVersion: '1.1', headers: { 'set-cookie': ['a=1', 'b=2'] } }]);
  });

  it('refuses a factory beside proxy or http2, and one that returns no stream', async () => {
    const createConnection = () => netConnect(1, '127.0.0.1');
    await expect(dial('ws://127.0.0.1:1/', { createConnection, proxy: 'http://127.0.0.1:2' })).rejects.toThrow(/createConnection.*proxy/);
    await expect(dial('wss://127.0.0.1:1/', { createConnection, http2: 'auto' })).rejects.toThrow(/createConnection.*http2/);
    await expect(dial('ws://127.0.0.1:1/', { createConnection: () => null as unknown as Socket })).rejects.toThrow(TypeError);
    await expect(dial('ws://127.0.0.1:1/', { createConnection, proxy: 'http://127.0.0.1:2' })).rejects.toBeInstanceOf(WebSocketError);
  });

  it('a factory that throws or rejects fails the dial with its error', async () => {
    await expect(dial('ws://127.0.0.1:1/', { createConnection: () => { throw new Error('boom'); } })).rejects.toThrow('boom');
    await expect(dial('ws://127.0.0.1:1/', { createConnection: () => Promise.reject(new Error('later')) })).rejects.toThrow('later');
  });

  it('follows a same-origin redirect through the factory; refuses one to another origin with the 3xx', async () => {
    const target = await peer(switching);
    const redirector = await peer((head) => (head.startsWith('GET /a ')
      ? 'HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n'
      : `HTTP/1.1 307 Temporary Redirect\r\nLocation: ws://127.0.0.1:${target.port}/c\r\nContent-Length: 0\r\n\r\n`));
    let calls = 0;
    const err = await dial(`ws://127.0.0.1:${redirector.port}/a`, {
      followRedirects: true,
      createConnection: (t) => { calls++; return netConnect(t.port, t.host); },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect((err as HandshakeError).status).toBe(307);
    expect(calls).toBe(2);
    expect(target.heads).toHaveLength(0);
  });

  it('beforeRedirect may change the next request\'s headers; a throw fails the dial', async () => {
    const target = await peer(switching);
    const redirector = await peer(() => `HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${target.port}/next\r\nContent-Length: 0\r\n\r\n`);
    const conn = await dial(`ws://127.0.0.1:${redirector.port}/`, {
      followRedirects: true,
      headers: { Authorization: 'Bearer secret' },
      beforeRedirect: (next) => {
        expect(next.status).toBe(302);
        expect(next.headers.Authorization).toBeUndefined(); // another origin (the port): dropped first
        next.headers['X-Next'] = next.url.pathname;
      },
    });
    conn.terminate();
    expect(target.heads[0]).toMatch(/x-next: \/next/i);
    await expect(dial(`ws://127.0.0.1:${redirector.port}/`, { followRedirects: true, beforeRedirect: () => { throw new Error('no'); } })).rejects.toThrow('no');
    await expect(dial(`ws://127.0.0.1:${redirector.port}/`, { followRedirects: true, beforeRedirect: (n) => { n.headers['Bad\n'] = 'x'; } })).rejects.toThrow(/not a token/);
  });
});

describe('a chunked error body', () => {
  it('is decoded on the HandshakeError, split anywhere, extensions skipped', async () => {
    const server = await peer(() => 'HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n');
    const err = await dial(`ws://127.0.0.1:${server.port}/`).then(() => { throw new Error("dialed"); }, (e: HandshakeError) => e);
    expect(Buffer.from(err.body).toString()).toBe('hello world');
    const decoder = new ChunkedDecoder(100);
    for (const byte of Buffer.from('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')) decoder.push(Uint8Array.of(byte));
    expect(Buffer.concat(decoder.parts).toString()).toBe('abcde');
    expect(decoder.done).toBe(true);
  });

  it('stops at a malformed byte or the limit, keeping what came before', () => {
    const bad = new ChunkedDecoder(100);
    bad.push(Buffer.from('3\r\nabcX\r\n3\r\ndef\r\n'));
    expect(Buffer.concat(bad.parts).toString()).toBe('abc');
    expect(bad.done).toBe(true);
    const notHex = new ChunkedDecoder(100);
    notHex.push(Buffer.from('zz\r\nabc'));
    expect(notHex.length).toBe(0);
    expect(notHex.done).toBe(true);
    const huge = new ChunkedDecoder(10);
    huge.push(Buffer.from('ffffffff\r\n'));
    huge.push(Buffer.alloc(64, 0x61));
    expect(huge.length).toBe(10);
    expect(huge.done).toBe(true);
    const longExt = new ChunkedDecoder(10);
    longExt.push(Buffer.from(`1;${'e'.repeat(2000)}`));
    expect(longExt.done).toBe(true);
  });
});
