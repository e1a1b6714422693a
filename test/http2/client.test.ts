import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { OP_BINARY, OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import { HandshakeError, TimeoutError } from '../../src/errors';
import { serve, Upgrader } from '../../src/server';
import { pooledSessionCount, SESSION_IDLE_MS } from '../../src/transport/http2-sessions';
import { WebSocket } from '../../src/websocket';
import { serverFrame } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';
import { testCert } from '../helpers/transports';

// wasmws's client role of RFC 8441 against an independent server written here on node:http2:
// it checks the extended CONNECT's headers, answers by hand, and reads our frames with the
// test's own reader (server role: every frame must be masked).

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

interface IndependentServer {
  url: string;
  sessions: number;
  requests: IncomingHttpHeaders[];
  peers: RawPeer[];
}

/** An HTTP/2 server that is not wasmws: `answer` decides each CONNECT's response headers. */
async function independentServer(
  answer: (headers: IncomingHttpHeaders) => Record<string, string | number> | null = () => ({ ':status': 200 }),
  settings = { enableConnectProtocol: true },
): Promise<IndependentServer & { server: Http2SecureServer }> {
  const server = createSecureServer({ ...testCert(), settings });
  const state: IndependentServer & { server: Http2SecureServer } = { server, url: '', sessions: 0, requests: [], peers: [] };
  server.on('session', (session) => { state.sessions++; cleanup.push(() => session.destroy()); });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => {});
    state.requests.push(headers);
    const response = answer(headers);
    if (response === null) return; // never answers
    stream.respond(response, { endStream: response[':status'] !== 200 });
    if (response[':status'] !== 200) return;
    stream.on('end', () => stream.end());
    const peer = new RawPeer(stream as unknown as Socket, 'server');
    state.peers.push(peer);
    // Echo each message back, unmasked; answer a close with a close, then END_STREAM.
    let echoed = 0;
    const pump = setInterval(() => {
      for (; echoed < peer.frames.length; echoed++) {
        const f = peer.frames[echoed];
        if (f.opcode === OP_CLOSE) { stream.write(serverFrame(OP_CLOSE, f.payload)); stream.end(); clearInterval(pump); return; }
        if (f.opcode === OP_TEXT || f.opcode === OP_BINARY) stream.write(serverFrame(f.opcode, f.payload));
      }
    }, 5);
    stream.once('close', () => clearInterval(pump));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  state.url = `wss://localhost:${(server.address() as AddressInfo).port}`;
  return state;
}

const tls = () => ({ ca: testCert().cert });

describe('dial(url, { http2: true }) against an independent node:http2 server', () => {
  it('sends the extended CONNECT of RFC 8441 §4-5 and exchanges masked frames on the stream', async () => {
    const peer = await independentServer(() => ({ ':status': 200, 'sec-websocket-protocol': 'b' }));
    const conn = await dial(`${peer.url}/chat?room=1`, { tls: tls(), http2: true, subprotocols: ['a', 'b'], headers: { Authorization: 'Bearer t' } });
    const h = peer.requests[0];
    expect(h).toMatchObject({
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/chat?room=1',
      ':authority': new URL(peer.url).host, 'sec-websocket-version': '13', 'sec-websocket-protocol': 'a, b', authorization: 'Bearer t',
    });
    expect(h['sec-websocket-key']).toBeUndefined();
    expect(h.connection).toBeUndefined();
    expect(String(h['sec-websocket-extensions'])).toMatch(/^permessage-deflate/);
    expect(conn.subprotocol).toBe('b');
    expect(conn.remoteAddress).toBe('127.0.0.1'); // the session's socket
    await conn.send('text over h2');
    await conn.send(new Uint8Array(100_000).fill(3));
    expect((await conn.read()).text()).toBe('text over h2');
    expect((await conn.read()).data).toEqual(new Uint8Array(100_000).fill(3));
    expect(peer.peers[0].errors).toEqual([]); // every frame masked
    expect(await conn.close(1000, 'bye')).toEqual({ code: 1000, reason: 'bye', wasClean: true });
  });

  it('sends a Host header the user set as :authority, the Host of HTTP/2 (RFC 9113 §8.3.1)', async () => {
    const peer = await independentServer();
    const conn = await dial(peer.url, { tls: tls(), http2: true, headers: { Host: 'chat.example:8443' } });
    expect(peer.requests[0][':authority']).toBe('chat.example:8443');
    expect(peer.requests[0].host).toBeUndefined();
    conn.terminate();
  });

  it('shares one session per origin among many WebSockets, and closes it once idle', async () => {
    const peer = await independentServer();
    const conns = await Promise.all(Array.from({ length: 50 }, () => dial(peer.url, { tls: tls(), http2: true })));
    expect(peer.sessions).toBe(1);
    await Promise.all(conns.map((c, i) => c.send(`n${i}`)));
    expect(await Promise.all(conns.map(async (c) => (await c.read()).text()))).toEqual(conns.map((_, i) => `n${i}`));
    await Promise.all(conns.map((c) => c.close()));
    const later = await dial(peer.url, { tls: tls(), http2: true });
    expect(peer.sessions).toBe(1); // still the same session
    await later.close();
    const before = pooledSessionCount();
    await new Promise((r) => setTimeout(r, SESSION_IDLE_MS + 300));
    expect(pooledSessionCount()).toBe(before - 1);
    const fresh = await dial(peer.url, { tls: tls(), http2: true });
    expect(peer.sessions).toBe(2);
    fresh.terminate();
  }, 10_000);

  it('keeps separate sessions for different TLS options', async () => {
    const peer = await independentServer();
    const a = await dial(peer.url, { tls: tls(), http2: true });
    const b = await dial(peer.url, { tls: { ...tls(), servername: 'localhost' }, http2: true });
    expect(peer.sessions).toBe(2);
    a.terminate();
    b.terminate();
  });

  it('a non-200 is a HandshakeError with status, headers and body; the session serves the next dial', async () => {
    let refuse = true;
    const peer = await independentServer((): Record<string, string | number> => (refuse ? { ':status': 403, 'x-why': 'nope' } : { ':status': 200 }));
    const error = await dial(peer.url, { tls: tls(), http2: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error).toMatchObject({ code: 'WS_ERR_HANDSHAKE', status: 403, headers: { 'x-why': 'nope' } });
    refuse = false;
    const conn = await dial(peer.url, { tls: tls(), http2: true });
    expect(peer.sessions).toBe(1);
    conn.terminate();
  });

  it('rejects a subprotocol that was not offered, or an extension not asked for, and cancels that stream only', async () => {
    let reply: Record<string, string | number> = { ':status': 200, 'sec-websocket-protocol': 'x' };
    const peer = await independentServer(() => reply);
    await expect(dial(peer.url, { tls: tls(), http2: true, subprotocols: ['a'] })).rejects.toThrow(/not offered/);
    reply = { ':status': 200, 'sec-websocket-extensions': 'permessage-deflate' };
    await expect(dial(peer.url, { tls: tls(), http2: true, compression: false })).rejects.toThrow(/extensions/);
    reply = { ':status': 200 };
    const conn = await dial(peer.url, { tls: tls(), http2: true });
    expect(peer.sessions).toBe(1);
    conn.terminate();
  });

  it('a stream reset before its response is a HandshakeError; the session serves the next dial', async () => {
    let reset = true;
    const peer = await independentServer(() => (reset ? null : { ':status': 200 }));
    peer.server.prependListener('stream', (stream: ServerHttp2Stream) => { if (reset) stream.close(8); });
    await expect(dial(peer.url, { tls: tls(), http2: true })).rejects.toThrow(/closed before a response/);
    reset = false;
    const conn = await dial(peer.url, { tls: tls(), http2: true });
    expect(peer.sessions).toBe(1);
    conn.terminate();
  });

  it('a session that dies closes its WebSockets (1006) and the next dial opens a new one', async () => {
    const peer = await independentServer();
    const sessions: import('node:http2').ServerHttp2Session[] = [];
    peer.server.on('session', (s) => sessions.push(s));
    const conns = await Promise.all([0, 1].map(() => dial(peer.url, { tls: tls(), http2: true })));
    sessions[0].destroy();
    for (const conn of conns) expect(await conn.closed).toMatchObject({ code: 1006, wasClean: false });
    const next = await dial(peer.url, { tls: tls(), http2: true });
    await next.send('alive');
    expect((await next.read()).text()).toBe('alive');
    expect(peer.sessions).toBe(2);
    next.terminate();
  });

  it('times out a CONNECT that is never answered (TimeoutError), cancelling the stream', async () => {
    const peer = await independentServer(() => null);
    await expect(dial(peer.url, { tls: tls(), http2: true, handshakeTimeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('aborts with the signal', async () => {
    const peer = await independentServer(() => null);
    const controller = new AbortController();
    const dialing = dial(peer.url, { tls: tls(), http2: true, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 100);
    await expect(dialing).rejects.toThrow('stop');
  });
});

describe('fallback', () => {
  it('HTTP/2 without SETTINGS_ENABLE_CONNECT_PROTOCOL: true fails typed, auto falls back to HTTP/1.1', async () => {
    const upgrader = new Upgrader();
    const h2 = createSecureServer({ ...testCert(), allowHTTP1: true });
    let upgrades = 0;
    h2.on('upgrade', (req, socket, head) => {
      upgrades++;
      const conn = upgrader.upgrade(req, socket, head);
      if (conn) void (async () => { for await (const m of conn) await conn.send(m.text()); })().catch(() => {});
    });
    h2.on('session', (s) => cleanup.push(() => s.destroy()));
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => h2.close());
    const url = `wss://localhost:${(h2.address() as AddressInfo).port}/`;
    const error = await dial(url, { tls: tls(), http2: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as Error).message).toMatch(/SETTINGS_ENABLE_CONNECT_PROTOCOL/);
    const conn = await dial(url, { tls: tls(), http2: 'auto' });
    expect(upgrades).toBe(1);
    await conn.send('fell back');
    expect((await conn.read()).text()).toBe('fell back');
    await conn.close();
  });

  it('a server whose ALPN is only http/1.1: true fails typed, auto falls back', async () => {
    const upgrader = new Upgrader();
    const https = createHttps(testCert());
    https.on('upgrade', (req, socket, head) => { upgrader.upgrade(req, socket, head); });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => { https.closeAllConnections(); https.close(); });
    const url = `wss://localhost:${(https.address() as AddressInfo).port}/`;
    let connections = 0;
    https.on('connection', () => connections++); // TCP connections
    await expect(dial(url, { tls: tls(), http2: true })).rejects.toThrow(/ALPN/);
    await expect.poll(() => connections).toBe(1); // the ALPN probe
    const conns = [await dial(url, { tls: tls(), http2: 'auto' }), await dial(url, { tls: tls(), http2: 'auto' })];
    expect(conns.map((c) => c.readyState)).toEqual(['open', 'open']);
    await expect.poll(() => connections).toBe(3); // remembered: no second probe, one connection per dial
    for (const c of conns) c.terminate();
  });

  it('auto keeps one handshake deadline: the HTTP/1.1 fallback gets what the slow h2 attempt left', async () => {
    // A TLS server offering h2 whose SETTINGS (without ENABLE_CONNECT_PROTOCOL) come late, and
    // whose HTTP/1.1 side never answers: the dial must fail at one deadline, not two.
    const sockets: TLSSocket[] = [];
    const server = createTlsServer({ ...testCert(), ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.resume();
      if (socket.alpnProtocol === 'h2') setTimeout(() => socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])), 1000);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => { for (const s of sockets) s.destroy(); server.close(); });
    const url = `wss://localhost:${(server.address() as AddressInfo).port}/`;
    const started = Date.now();
    const error = await dial(url, { tls: tls(), http2: 'auto', handshakeTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(sockets.map((s) => s.alpnProtocol)).toEqual(['h2', 'http/1.1']); // it did fall back
    expect(Date.now() - started).toBeLessThan(2400); // two deadlines would be ≥ 2500 ms
  });

  it('ws:// with http2: true is a HandshakeError; with auto it dials HTTP/1.1', async () => {
    const server = await serve({ port: 0 }, (conn) => { void conn.close(); });
    cleanup.push(() => server.close({ timeoutMs: 200 }));
    const url = `ws://127.0.0.1:${server.address().port}/`;
    await expect(dial(url, { http2: true })).rejects.toBeInstanceOf(HandshakeError);
    const conn = await dial(url, { http2: 'auto' });
    await conn.closed;
  });
});

describe('against wasmws serve({ tls, http2: true })', () => {
  it.each([true, false])('compression %s: negotiated over h2 and messages round-trip', async (compression) => {
    const server = await serve({ port: 0, tls: testCert(), http2: true }, async (conn) => {
      for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' });
    });
    cleanup.push(() => server.close({ timeoutMs: 300 }));
    const conn = await dial(`wss://localhost:${server.address().port}/`, { tls: tls(), http2: true, compression });
    expect(conn.extensions.startsWith('permessage-deflate')).toBe(compression);
    const text = 'repeat '.repeat(1000);
    await conn.send(text);
    expect((await conn.read()).text()).toBe(text);
    expect(await conn.close()).toMatchObject({ code: 1000, wasClean: true });
  });

  it('the WHATWG WebSocket takes http2 as a dial option', async () => {
    const server = await serve({ port: 0, tls: testCert(), http2: true }, async (conn) => {
      for await (const m of conn) await conn.send(`ws:${m.text()}`);
    });
    cleanup.push(() => server.close({ timeoutMs: 300 }));
    const ws = new WebSocket(`wss://localhost:${server.address().port}/`, [], { tls: tls(), http2: true });
    const got = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('hi');
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error('error event'));
    });
    expect(got).toBe('ws:hi');
    ws.close();
    await new Promise((resolve) => { ws.onclose = resolve; });
  });
});
