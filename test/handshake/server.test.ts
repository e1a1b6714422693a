import { connect } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { HandshakeError } from '../../src/errors';
import { serve, Upgrader, type WebSocketServer } from '../../src/server';

/** Sends raw bytes and returns everything the server answers until it closes. */
function rawRequest(port: number, request: string | Uint8Array, keepOpenMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    if (keepOpenMs === 0) socket.write(request);
    else setTimeout(() => socket.write(request), keepOpenMs);
  });
}

const good = (port: number, extra = '', method = 'GET', path = '/ws') =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('server opening handshake', () => {
  let server: WebSocketServer;
  let port: number;
  const errors: HandshakeError[] = [];

  beforeAll(async () => {
    server = await serve({
      port: 0, path: '/ws', handshakeTimeoutMs: 300, maxHeadBytes: 8192, subprotocols: ['v2', 'v1'],
      headers: { 'X-Served-By': 'wasmws', 'X-Split': 'a\r\nX-Injected: 1', 'Sec-WebSocket-Accept': 'forged', 'Bad Name': 'x' },
      onHandshakeError: (e) => errors.push(e),
    }, (conn) => { void conn.send(`proto=${conn.subprotocol}`); });
    port = server.address().port;
  });
  afterAll(() => server.close({ timeoutMs: 200 }));

  it('accepts a valid request with the RFC 6455 §1.3 accept value and custom headers', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(good(port)));
      socket.once('data', (d) => { resolve(d.toString('latin1')); socket.destroy(); });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(answer).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(answer).toContain('X-Served-By: wasmws');
    // Extra headers that would split the response, repeat a handshake field or are no field at all are left out.
    expect(answer).not.toMatch(/X-Split|X-Injected|forged|Bad Name/);
    expect(answer.match(/Sec-WebSocket-Accept/g)).toHaveLength(1);
  });

  it('picks the subprotocol in the server\'s preference order', async () => {
    const conn = await dial(`ws://127.0.0.1:${port}/ws`, { subprotocols: ['v1', 'v2', 'v3'] });
    expect(conn.subprotocol).toBe('v2');
    expect((await conn.read()).text()).toBe('proto=v2');
    conn.terminate();
  });

  it.each([
    ['a POST', good(0, '', 'POST'), 405],
    ['HTTP/1.0', good(0).replace('HTTP/1.1', 'HTTP/1.0'), 400],
    ['no Upgrade token', good(0).replace('Upgrade: websocket\r\n', 'Upgrade: h2c\r\n'), 400],
    ['no Connection: Upgrade', good(0).replace('keep-alive, Upgrade', 'keep-alive'), 400],
    ['a key of 15 bytes', good(0).replace('dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ'), 400],
    ['no key', good(0).replace(/Sec-WebSocket-Key: .*\r\n/, ''), 400],
    ['version 8', good(0).replace('Version: 13', 'Version: 8'), 426],
    ['a cross-site Origin', good(0, 'Origin: https://evil.example\r\n'), 403],
    ['a path with no endpoint', good(0, '', 'GET', '/other'), 404],
    ['a 64 KiB header', good(0, `X-Big: ${'a'.repeat(65536)}\r\n`), 431],
    ['garbage', '\x16\x03\x01\x02\x00garbage\r\n\r\n', 400],
    ['two Host headers (RFC 9112 §3.2)', good(0, 'Host: evil.example\r\n'), 400],
    ['an invalid Host value', good(0).replace('Host: 127.0.0.1:0', 'Host: a b'), 400],
    ['two Origin headers', good(0, 'Origin: http://127.0.0.1:0\r\nOrigin: https://evil.example\r\n'), 400],
    ['two Sec-WebSocket-Key headers', good(0, 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'), 400],
    ['an Origin hidden behind a bare LF', good(0).replace('Version: 13\r\n', 'Version: 13\nOrigin: https://evil.example\r\n'), 400],
    ['a folded header', good(0, 'X-Folded: a\r\n b\r\n'), 400],
    ['a control byte in a header name', good(0, 'X\x01: 1\r\n'), 400],
    ['HTTP/2.0 in the request line', good(0).replace('HTTP/1.1', 'HTTP/2.0'), 400],
    ['a body announced by Content-Length', good(0, 'Content-Length: 5\r\n'), 400],
    ['a body announced by Transfer-Encoding', good(0, 'Transfer-Encoding: chunked\r\n'), 400],
  ])('rejects %s with the status it calls for, and closes', async (_name, request, status) => {
    const answer = await rawRequest(port, (request as string).replace(/127\.0\.0\.1:0/, `127.0.0.1:${port}`));
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    if (status === 426) expect(answer).toContain('Sec-WebSocket-Version: 13');
    expect(errors.at(-1)).toBeInstanceOf(HandshakeError);
    expect(errors.at(-1)?.status).toBe(status);
  });

  it('gives the handler headers in a null-prototype map: __proto__ and constructor are plain entries', async () => {
    const seen = await new Promise<Record<string, unknown>>((resolve, reject) => {
      void serve({ port: 0 }, (conn) => { resolve(conn.request!.headers); conn.terminate(); }).then((s) => {
        const p = s.address().port;
        rawRequestOpen(p, good(p, '__proto__: x\r\nconstructor: y\r\ntoString: z\r\nContent-Length: 0\r\n')).then(() => s.close({ timeoutMs: 100 }), reject);
      }, reject);
    });
    expect(Object.getPrototypeOf(seen)).toBeNull();
    expect(seen.__proto__).toBe('x');
    expect(seen.constructor).toBe('y');
    expect(seen.tostring).toBe('z');
  });

  it('allows a same-origin page and a request without Origin', async () => {
    const same = await rawRequestOpen(port, good(port, `Origin: http://127.0.0.1:${port}\r\n`));
    expect(same).toMatch(/^HTTP\/1\.1 101/);
  });

  it('drops a slowloris request after handshakeTimeoutMs with 408', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /ws HTTP/1.1\r\nHost: x\r\n'));
      let text = '';
      socket.on('data', (d) => { text += d.toString(); });
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers every one of many slow requests, begun at different times, with 408 (one timer for all)', async () => {
    const slow = (delayMs: number) => new Promise<string>((resolve) => {
      setTimeout(() => {
        const socket = connect(port, '127.0.0.1', () => socket.write('GET /ws HTTP/1.1\r\n'));
        let text = '';
        socket.on('data', (d) => { text += d.toString(); });
        socket.on('close', () => resolve(text));
      }, delayMs);
    });
    // One of them completes its head in time: its deadline goes, the others' stay.
    const quick = rawRequestOpen(port, good(port));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => slow(i * 10)));
    expect(await quick).toMatch(/^HTTP\/1\.1 101 /);
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

function rawRequestOpen(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.once('data', (d) => { resolve(d.toString('latin1')); socket.destroy(); });
  });
}

describe('Upgrader on node:http', () => {
  it('upgrades through an http server, feeding the head bytes, and rejects a bad request with a typed error', async () => {
    const errors: HandshakeError[] = [];
    const upgrader = new Upgrader({ onHandshakeError: (e) => errors.push(e) });
    const http = createHttpServer((_req, res) => res.end('plain http'));
    http.on('upgrade', (req, socket, head) => {
      const conn = upgrader.upgrade(req, socket, head);
      if (conn) void (async () => { for await (const m of conn) await conn.send(`echo:${m.text()}`); })().catch(() => {});
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as { port: number }).port;
    const conn = await dial(`ws://127.0.0.1:${port}/`);
    await conn.send('hi');
    expect((await conn.read()).text()).toBe('echo:hi');
    await conn.close();
    const answer = await rawRequest(port, good(port).replace('Version: 13', 'Version: 7'));
    expect(answer).toMatch(/^HTTP\/1\.1 426 /);
    expect(errors[0]?.status).toBe(426);
    // node:http keeps only the first of two Hosts; the raw header list still shows both.
    const twoHosts = await rawRequest(port, good(port, 'Host: evil.example\r\n'));
    expect(twoHosts).toMatch(/^HTTP\/1\.1 400 /);
    expect(errors[1]?.message).toMatch(/more than one host/);
    http.close();
  });
});
