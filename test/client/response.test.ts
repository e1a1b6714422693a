import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { HandshakeError, WebSocketError } from '../../src/errors';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { fakeHttpServer } from '../helpers/handshake-peers';

let cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });

const keyOf = (head: string) => /sec-websocket-key: (\S+)/i.exec(head)![1];
/** A 101 for the request's key, with `statusLine` and `extra` header lines. */
const switching = (statusLine: string, extra = '') => (head: string) =>
  `${statusLine}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(keyOf(head))}\r\n${extra}\r\n`;

async function dialError(respond: (head: string) => string): Promise<HandshakeError> {
  const server = await fakeHttpServer(respond);
  cleanup.push(() => server.close());
  const err = await dial(`ws://127.0.0.1:${server.port}/`, { handshakeTimeoutMs: 2000 }).then((conn) => { conn.terminate(); return undefined; }, (e) => e);
  expect(err).toBeInstanceOf(HandshakeError);
  return err as HandshakeError;
}

describe('dial: the 101 must be a well-formed HTTP/1.1 response', () => {
  it('refuses an HTTP/1.0 101 (a 101 exists only in HTTP/1.1, RFC 9110 §15.2)', async () => {
    const err = await dialError(switching('HTTP/1.0 101 Switching Protocols'));
    expect(err.status).toBe(101);
    expect(err.message).toMatch(/must be HTTP\/1\.1/);
  });

  it.each([
    ['HTTP/2.0 101', switching('HTTP/2.0 101 Switching Protocols'), /malformed status line/],
    ['a folded header (obs-fold)', switching('HTTP/1.1 101 Switching Protocols', 'X-Long: a\r\n b\r\n'), /obsolete line folding/],
    ['a bare LF', switching('HTTP/1.1 101 Switching Protocols', 'X-A: 1\nX-B: 2\r\n'), /bare LF/],
    ['a control byte in a value', switching('HTTP/1.1 101 Switching Protocols', 'X-A: 1\x002\r\n'), /control character/],
    ['a status of two digits', () => 'HTTP/1.1 99 Odd\r\n\r\n', /malformed status line/],
  ])('reports %s as a malformed response (status 0, not an HTTP status it never got)', async (_name, respond, message) => {
    const err = await dialError(respond);
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/malformed response head/);
    expect(err.message).toMatch(message);
  });

  it('skips 1xx interim responses before the 101 (RFC 9110 §15.2): a 100 and a 103 Early Hints', async () => {
    const server = await fakeHttpServer((head) => `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n${switching('HTTP/1.1 101 Switching Protocols')(head)}`);
    cleanup.push(() => server.close());
    const conn = await dial(`ws://127.0.0.1:${server.port}/`, { handshakeTimeoutMs: 2000, compression: false });
    expect(conn.readyState).toBe('open');
    conn.terminate();
  });

  it('refuses a server that sends interim responses without end', async () => {
    const err = await dialError(() => 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(100));
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/interim/);
  });

  it('refuses two Sec-WebSocket-Accept headers (RFC 6455 §11.3.3), even when both match', async () => {
    const err = await dialError((head) => switching('HTTP/1.1 101 Switching Protocols', `Sec-WebSocket-Accept: ${acceptKeyFor(keyOf(head))}\r\n`)(head));
    expect(err.message).toMatch(/more than one Sec-WebSocket-Accept/);
  });

  it('keeps a response\'s headers in a null-prototype map: __proto__ and constructor are plain entries', async () => {
    const err = await dialError(() => 'HTTP/1.1 403 Forbidden\r\n__proto__: x\r\nConstructor: y\r\ntoString: z\r\nContent-Length: 0\r\n\r\n');
    expect(Object.getPrototypeOf(err.headers)).toBeNull();
    expect(err.headers.__proto__).toBe('x');
    expect(err.headers.constructor).toBe('y');
    expect(err.headers.tostring).toBe('z');
    expect(Object.keys(err.headers)).toEqual(['__proto__', 'constructor', 'tostring', 'content-length']);
  });
});

describe('dial: the request headers the user adds', () => {
  it.each([
    ['a name with a space', { 'Bad Name': 'x' }],
    ['a value with a line break', { 'X-Inject': 'a\r\nEvil: 1' }],
    ['a value with a bare LF', { 'X-Inject': 'a\nEvil: 1' }],
    ['a value with a NUL', { 'X-Nul': 'a\0b' }],
    ['a handshake field (Upgrade)', { Upgrade: 'h2c' }],
    ['a handshake field (sec-websocket-protocol)', { 'sec-websocket-protocol': 'chat' }],
  ])('refuses %s before connecting (WS_ERR_INVALID_ARGUMENT)', async (_name, headers) => {
    const server = await fakeHttpServer(() => null);
    cleanup.push(() => server.close());
    const err = await dial(`ws://127.0.0.1:${server.port}/`, { headers }).catch((e) => e);
    expect(err).toBeInstanceOf(WebSocketError);
    expect(err.code).toBe('WS_ERR_INVALID_ARGUMENT');
    await new Promise((r) => setTimeout(r, 20));
    expect(server.heads).toHaveLength(0);
  });

  it('sends a user Host instead of the one from the URL, once', async () => {
    const server = await fakeHttpServer(() => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    cleanup.push(() => server.close());
    await dial(`ws://127.0.0.1:${server.port}/`, { headers: { host: 'virtual.example' } }).catch(() => {});
    expect(server.heads[0].match(/^host:/gim)).toHaveLength(1);
    expect(server.heads[0]).toMatch(/^host: virtual\.example\r$/im);
  });
});

describe('dial: an error response cut short', () => {
  it('a connection reset while the body is read gives the HandshakeError with what arrived, no crash', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npartial');
        setTimeout(() => socket.resetAndDestroy(), 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => server.close());
    const err = await dial(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err.status).toBe(403);
    expect(new TextDecoder().decode(err.body)).toBe('partial');
  });
});
