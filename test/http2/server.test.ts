import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { OP_BINARY, OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import type { Conn } from '../../src/conn/connection';
import type { HandshakeError } from '../../src/errors';
import { serve, Upgrader, type WebSocketServer } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { connectHeaders, h2Connect, h2Session, rawH2Client } from '../helpers/h2';
import { RawDeflate } from '../helpers/raw-deflate';
import { rawClientOver, testCert } from '../helpers/transports';

// The server role of RFC 8441 against Node's own HTTP/2 client driven by hand: extended
// CONNECT headers and masked frames written by the test.

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function echoServer(options: Parameters<typeof serve>[0] = {}): Promise<{ server: WebSocketServer; port: number }> {
  const server = await serve({ port: 0, tls: testCert(), http2: true, pingIntervalMs: 0, ...options }, async (conn) => {
    try {
      for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' });
    } catch { /* failed: its close code went out */ }
  });
  cleanup.push(() => server.close({ timeoutMs: 500 }));
  return { server, port: server.address().port };
}

async function session(port: number) {
  const s = await h2Session(port, testCert().cert);
  cleanup.push(() => s.destroy());
  return s;
}

describe('serve({ tls, http2: true }): extended CONNECT', () => {
  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and answers :status 200 without Upgrade or Sec-WebSocket-Accept', async () => {
    const { port } = await echoServer();
    const s = await session(port);
    expect(s.remoteSettings.enableConnectProtocol).toBe(true);
    expect(s.alpnProtocol).toBe('h2');
    const { response } = await h2Connect(s, connectHeaders(port, { 'sec-websocket-protocol': 'chat' }));
    expect(response[':status']).toBe(200);
    expect(response['sec-websocket-accept']).toBeUndefined();
    expect(response['sec-websocket-protocol']).toBeUndefined(); // none configured
  });

  it('echoes masked text and binary frames, then closes with END_STREAM on both sides (no RST)', async () => {
    const { port } = await echoServer();
    const s = await session(port);
    const { peer, stream } = await rawH2Client(s, port);
    await peer.send(clientFrame(OP_TEXT, 'hello over h2'));
    await peer.send(clientFrame(OP_BINARY, new Uint8Array(70_000).fill(7)));
    await peer.waitFrames(2);
    expect(decode(peer.frames[0].payload)).toBe('hello over h2');
    expect(peer.frames[1].payload).toEqual(new Uint8Array(70_000).fill(7));
    await peer.send(clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    await peer.waitFrames(3);
    expect(peer.closeFrame()).toEqual([1000, '']);
    await ended; // the server's END_STREAM after the close handshake
    stream.end();
    await peer.waitClosed();
    expect(stream.rstCode).toBe(0);
    expect(s.closed || s.destroyed).toBe(false);
  });

  it.each(['h2', 'tcp'])('over %s, a peer that ends its half right after its Close still gets the echo', async (over) => {
    let peer;
    if (over === 'h2') {
      const { port } = await echoServer();
      const { stream, peer: p } = await rawH2Client(await session(port), port);
      await p.send(clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
      stream.end(); // END_STREAM with the Close, as Chromium does
      peer = p;
    } else {
      const plain = await serve({ port: 0 }, async (conn) => { for await (const m of conn) await conn.send(m.data); });
      cleanup.push(() => plain.close({ timeoutMs: 200 }));
      const { peer: p } = await rawClientOver('tcp', plain.address().port);
      await p.send(clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])));
      p.socket.end(); // FIN after the Close
      peer = p;
    }
    await peer.waitClosed();
    expect(peer.closeFrame()).toEqual([1000, '']);
  });

  it('negotiates subprotocols and permessage-deflate with the HTTP/1.1 policy, and inflates/deflates over the stream', async () => {
    const { port } = await echoServer({ subprotocols: ['b', 'a'] });
    const s = await session(port);
    const { peer, response } = await rawH2Client(s, port, {
      'sec-websocket-protocol': 'a, b', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    }, true);
    expect(response['sec-websocket-protocol']).toBe('b');
    expect(String(response['sec-websocket-extensions'])).toMatch(/^permessage-deflate/);
    const deflate = new RawDeflate({ windowBits: 15, noContext: false, peerWindowBits: 15, peerNoContext: false });
    const text = 'compressed over HTTP/2 '.repeat(50);
    await peer.send(clientFrame(OP_TEXT, await deflate.compress(new TextEncoder().encode(text)), { rsv1: true }));
    await peer.waitFrames(1);
    expect(peer.frames[0].compressed).toBe(true);
    expect(decode(await deflate.decompress(peer.frames[0].payload))).toBe(text);
  });

  it('with compression: false, answers without sec-websocket-extensions and echoes uncompressed', async () => {
    const { port } = await echoServer({ compression: false });
    const s = await session(port);
    const { peer, response } = await rawH2Client(s, port, { 'sec-websocket-extensions': 'permessage-deflate' }, true);
    expect(response['sec-websocket-extensions']).toBeUndefined();
    await peer.send(clientFrame(OP_TEXT, 'plain'));
    await peer.waitFrames(1);
    expect(peer.frames[0]).toMatchObject({ compressed: false });
    expect(decode(peer.frames[0].payload)).toBe('plain');
  });
});

describe('rejections: the HTTP/1.1 statuses, on the stream only', () => {
  let port: number;
  const rejected: HandshakeError[] = [];
  beforeAll(async () => {
    const server = await serve({
      port: 0, tls: testCert(), http2: true, path: '/ws',
      checkOrigin: (origin) => { if (origin === 'https://throws.example') throw new Error('policy bug'); return origin !== 'https://evil.example'; },
      onHandshakeError: (error) => { rejected.push(error); },
    }, (conn) => { void conn.close(); });
    port = server.address().port;
    return () => server.close({ timeoutMs: 200 });
  });

  it.each([
    ['sec-websocket-version 8', { 'sec-websocket-version': '8' }, 426],
    ['no sec-websocket-version', { 'sec-websocket-version': '' }, 426],
    [':protocol other than websocket', { ':protocol': 'webtransport' }, 400],
    ['a :path elsewhere', { ':path': '/other' }, 404],
    ['a host header naming another authority', { host: 'evil.example' }, 400],
    ['an origin the policy refuses', { origin: 'https://evil.example' }, 403],
    ['a checkOrigin that throws', { origin: 'https://throws.example' }, 500],
    ['a subprotocol offer that is not a token', { 'sec-websocket-protocol': 'a b' }, 400],
  ])('%s: %d', async (_name, extra, status) => {
    const s = await session(port);
    const before = rejected.length;
    const { stream, response } = await h2Connect(s, connectHeaders(port, { ':path': '/ws', ...extra }));
    expect(response[':status']).toBe(status);
    if (status === 426) expect(response['sec-websocket-version']).toBe('13');
    stream.resume();
    await new Promise((resolve) => stream.once('close', resolve));
    if (status !== 404) expect(rejected.at(before)?.status).toBe(status);
    // The session is untouched: the next stream on it is a WebSocket.
    const ok = await h2Connect(s, connectHeaders(port, { ':path': '/ws' }));
    expect(ok.response[':status']).toBe(200);
    ok.stream.close();
  });

  it('answers a plain HTTP/2 GET with 426, and keeps the session', async () => {
    const s = await session(port);
    const get = s.request({ ':path': '/ws' });
    const status = await new Promise((resolve) => get.once('response', (h) => resolve(h[':status'])));
    get.resume();
    expect(status).toBe(426);
    const ok = await h2Connect(s, connectHeaders(port, { ':path': '/ws' }));
    expect(ok.response[':status']).toBe(200);
  });

  it('accepts a same-origin page (Origin matching :authority) by default', async () => {
    const server = await serve({ port: 0, tls: testCert(), http2: true }, (conn) => { void conn.close(); });
    cleanup.push(() => server.close({ timeoutMs: 200 }));
    const p = server.address().port;
    const s = await session(p);
    const same = await h2Connect(s, connectHeaders(p, { origin: `https://localhost:${p}` }));
    expect(same.response[':status']).toBe(200);
    const other = await h2Connect(s, connectHeaders(p, { origin: 'https://elsewhere.example' }));
    expect(other.response[':status']).toBe(403);
  });
});

describe('callbacks that throw, on the HTTP/2 path', () => {
  it.each([
    ['a headers callback', { headers: () => { throw new Error('boom'); } }],
    ['a subprotocols callback', { subprotocols: () => { throw new Error('boom'); } }],
    ['a header HTTP/2 cannot carry', { headers: { 'bad name': 'x' } }],
  ])('%s: 500 on that stream, onHandshakeError told (and its own throw ignored), the session goes on', async (_name, policy) => {
    const errors: HandshakeError[] = [];
    const { port } = await echoServer({ ...policy, onHandshakeError: (e) => { errors.push(e); throw new Error('listener bug'); } });
    const s = await session(port);
    const { response } = await h2Connect(s, connectHeaders(port, { 'sec-websocket-protocol': 'p' }));
    expect(response[':status']).toBe(500);
    expect(errors.map((e) => e.status)).toEqual([500]);
    expect(s.closed || s.destroyed).toBe(false);
  });

  it('a handler that throws closes its WebSocket with 1011 and onHandlerError hears it', async () => {
    const failures: unknown[] = [];
    const server = await serve({ port: 0, tls: testCert(), http2: true, onHandlerError: (e) => failures.push(e) }, () => { throw new Error('handler bug'); });
    cleanup.push(() => server.close({ timeoutMs: 200 }));
    const port = server.address().port;
    const { peer } = await rawH2Client(await session(port), port);
    await peer.waitFrames(1);
    expect(peer.closeFrame()).toEqual([1011, 'handler failed']);
    expect(failures).toHaveLength(1);
  });
});

describe('server.close()', () => {
  it('rejects a code that may not be sent before stopping anything', async () => {
    const { server, port } = await echoServer();
    const conn = await dial(`wss://localhost:${port}/`, { tls: { ca: testCert().cert }, http2: true });
    await expect(server.close({ code: 1005 })).rejects.toThrow();
    await conn.send('still here');
    expect((await conn.read()).text()).toBe('still here');
    conn.terminate();
  });

  it('closes every HTTP/2 WebSocket with 1001 and stops', async () => {
    const { server, port } = await echoServer();
    const conns = await Promise.all([0, 1, 2].map(() => dial(`wss://localhost:${port}/`, { tls: { ca: testCert().cert }, http2: true })));
    cleanup.splice(0); // closed here
    await server.close({ timeoutMs: 1000 });
    for (const conn of conns) expect(await conn.closed).toMatchObject({ code: 1001, wasClean: true });
  });
});

describe('one port, both protocols', () => {
  it('takes HTTP/1.1 upgrades (ALPN http/1.1) and HTTP/2 streams on the same port', async () => {
    const { port } = await echoServer();
    const h1 = await dial(`wss://localhost:${port}/`, { tls: { ca: testCert().cert } });
    await h1.send('over 1.1');
    expect((await h1.read()).text()).toBe('over 1.1');
    const h2 = await dial(`wss://localhost:${port}/`, { tls: { ca: testCert().cert }, http2: true });
    await h2.send('over 2');
    expect((await h2.read()).text()).toBe('over 2');
    expect(await h1.close()).toMatchObject({ code: 1000, wasClean: true });
    expect(await h2.close()).toMatchObject({ code: 1000, wasClean: true });
  });

  it('refuses an HTTP/1.1 upgrade with two Host headers (400), as serve() over TCP does', async () => {
    const { port } = await echoServer();
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: testCert().cert, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    cleanup.push(() => socket.destroy());
    await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
    socket.write(`GET / HTTP/1.1\r\nHost: localhost:${port}\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const head = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
  });

  it('answers a plain HTTP/1.1 request with 426', async () => {
    const { port } = await echoServer();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca: testCert().cert, servername: 'localhost' }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
  });
});

describe('many WebSockets on one session', () => {
  it('200 streams echo at once; one failing (1002) and one reset leave the others and the session open', async () => {
    const { server, port } = await echoServer();
    const s = await session(port);
    const peers = await Promise.all(Array.from({ length: 200 }, () => rawH2Client(s, port)));
    await Promise.all(peers.map(({ peer }, i) => peer.send(clientFrame(OP_TEXT, `m${i}`))));
    await Promise.all(peers.map(({ peer }) => peer.waitFrames(1)));
    expect(peers.map(({ peer }) => decode(peer.frames[0].payload))).toEqual(peers.map((_, i) => `m${i}`));
    expect(server.connections.size).toBe(200);

    // Peer 0 breaks the protocol (an unmasked frame): 1002, END_STREAM, that stream only.
    await peers[0].peer.send(new Uint8Array([0x81, 0x01, 0x61]));
    await peers[0].peer.waitFrames(2);
    expect(peers[0].peer.closeFrame()?.[0]).toBe(1002);
    // Peer 1 resets its stream (RST_STREAM CANCEL).
    peers[1].stream.close(8);
    await peers[1].peer.waitClosed();
    await peers[0].peer.waitClosed();

    await Promise.all(peers.slice(2).map(({ peer }) => peer.send(clientFrame(OP_TEXT, 'again'))));
    await Promise.all(peers.slice(2).map(({ peer }) => peer.waitFrames(2)));
    expect(peers.slice(2).every(({ peer }) => decode(peer.frames[1].payload) === 'again' && !peer.ended)).toBe(true);
    expect(s.closed || s.destroyed).toBe(false);
    await expect.poll(() => server.connections.size).toBe(198);
  });

  it('terminate() resets that stream with CANCEL, not the session', async () => {
    let serverConn!: Conn;
    const server = await serve({ port: 0, tls: testCert(), http2: true }, (conn) => { serverConn = conn; });
    cleanup.push(() => server.close({ timeoutMs: 200 }));
    const port = server.address().port;
    const s = await session(port);
    // A bare stream, which does not end its half on the server's end (that would hide the code).
    const { stream } = await h2Connect(s, connectHeaders(port));
    stream.resume();
    const closed = new Promise((resolve) => stream.once('close', resolve));
    await expect.poll(() => serverConn).toBeDefined();
    expect(serverConn.remoteAddress).toBe('127.0.0.1'); // the session's socket
    serverConn.terminate();
    await closed;
    expect(stream.rstCode).toBe(8); // NGHTTP2_CANCEL, RFC 8441 §6
    expect(await serverConn.closed).toMatchObject({ code: 1006, wasClean: false });
    expect((await h2Connect(s, connectHeaders(port))).response[':status']).toBe(200);
  });

  it('backpressure follows the flow-control window: send() waits while the peer does not read', async () => {
    let sent = 0;
    let serverConn!: Conn;
    const server = await serve({ port: 0, tls: testCert(), http2: true }, async (conn) => {
      serverConn = conn;
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < 64; i++) { await conn.send(chunk); sent++; }
    });
    cleanup.push(() => server.close({ timeoutMs: 200 }));
    const port = server.address().port;
    const s = await session(port);
    const { stream, response } = await h2Connect(s, connectHeaders(port));
    expect(response[':status']).toBe(200);
    stream.pause(); // no WINDOW_UPDATE for what we do not read
    await new Promise((r) => setTimeout(r, 300));
    expect(sent).toBeLessThan(8); // 4 MiB offered; the window (64 KiB) and buffers hold a few
    expect(serverConn.bufferedAmount).toBeLessThan(1024 * 1024);
    let received = 0;
    stream.on('data', (chunk: Buffer) => { received += chunk.length; });
    stream.resume();
    await expect.poll(() => sent, { timeout: 5000 }).toBe(64);
    await expect.poll(() => received, { timeout: 5000 }).toBeGreaterThanOrEqual(64 * (64 * 1024 + 4));
  });
});

describe('Upgrader.upgradeHttp2 on an existing node:http2 server with a request handler', () => {
  let h2: Http2SecureServer;
  let port: number;
  const sessions = new Set<Http2Session>();
  beforeAll(async () => {
    const upgrader = new Upgrader();
    // The application's pages; its 'request' listener turns on node:http2's compatibility
    // layer, which answers CONNECT with 405 unless a 'connect' listener takes it (nodejs/node#36977).
    h2 = createSecureServer({ ...testCert(), settings: { enableConnectProtocol: true } }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('a page');
    });
    h2.on('connect', (req) => {
      const conn = upgrader.upgradeHttp2(req.stream, req.headers);
      if (conn) void (async () => { for await (const m of conn) await conn.send(`echo:${m.text()}`); })().catch(() => {});
    });
    h2.on('session', (s) => sessions.add(s));
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    port = (h2.address() as AddressInfo).port;
  });
  afterAll(() => { for (const s of sessions) s.destroy(); h2.close(); });

  it('serves a page and a WebSocket on one session', async () => {
    const conn = await dial(`wss://localhost:${port}/`, { tls: { ca: testCert().cert }, http2: true });
    await conn.send('hi');
    expect((await conn.read()).text()).toBe('echo:hi');
    const s = await session(port);
    const get = s.request({ ':path': '/' });
    let body = '';
    get.on('data', (d: Buffer) => { body += String(d); });
    await new Promise((resolve) => get.once('end', resolve));
    expect(body).toBe('a page');
    expect(await conn.close()).toMatchObject({ wasClean: true });
  });

  it('rejects a bad extended CONNECT with the status, not 405', async () => {
    const s = await session(port);
    const { response } = await h2Connect(s, connectHeaders(port, { 'sec-websocket-version': '7' }));
    expect(response[':status']).toBe(426);
  });
});
