import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttps } from 'node:https';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { HandshakeError, TimeoutError } from '../../src/errors';
import { proxyFor } from '../../src/handshake/proxy';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { serve, Upgrader } from '../../src/server';

let cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });

/** A TCP server that answers every request with `respond(requestHead)`. */
async function fakeServer(respond: (head: string) => string | null): Promise<number> {
  const server: Server = createServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const answer = respond(buf);
      if (answer !== null) socket.end(answer);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

const keyOf = (head: string) => /sec-websocket-key: (\S+)/i.exec(head)![1];

describe('dial: the response is checked', () => {
  it('rejects a non-101 answer with status, headers and the body', async () => {
    const port = await fakeServer(() => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\nX-Why: nope\r\n\r\nno entry for');
    const err = await dial(`ws://127.0.0.1:${port}/`).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err).toMatchObject({ status: 403, headers: { 'x-why': 'nope' } });
    expect(new TextDecoder().decode(err.body)).toBe('no entry for');
  });

  it.each([
    ['a wrong Sec-WebSocket-Accept', () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n', /does not match/],
    ['no Upgrade header', (h: string) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(keyOf(h))}\r\n\r\n`, /Upgrade/],
    ['a subprotocol not offered', (h: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(keyOf(h))}\r\nSec-WebSocket-Protocol: other\r\n\r\n`, /not offered/],
    ['an extension not offered', (h: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(keyOf(h))}\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n`, /not offered/],
  ])('rejects %s', async (_name, respond, message) => {
    const port = await fakeServer(respond);
    await expect(dial(`ws://127.0.0.1:${port}/`, { subprotocols: ['chat'] })).rejects.toThrow(message);
  });

  it('rejects permessage-deflate in the response when compression was not offered', async () => {
    const port = await fakeServer((h) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(keyOf(h))}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`);
    await expect(dial(`ws://127.0.0.1:${port}/`, { compression: false })).rejects.toThrow(/not offered/);
  });

  it('times out a server that never answers, and aborts on a signal', async () => {
    const port = await fakeServer(() => null);
    await expect(dial(`ws://127.0.0.1:${port}/`, { handshakeTimeoutMs: 150 })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    await expect(dial(`ws://127.0.0.1:${port}/`, { signal: controller.signal })).rejects.toThrow('user gave up');
  });

  it('does not follow redirects unless asked, and follows them when asked', async () => {
    const target = await serve({ port: 0 }, (conn) => { void conn.send('arrived'); });
    cleanup.push(() => void target.close({ timeoutMs: 100 }));
    const port = await fakeServer(() => `HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${target.address().port}/\r\nContent-Length: 0\r\n\r\n`);
    await expect(dial(`ws://127.0.0.1:${port}/`)).rejects.toMatchObject({ status: 302 });
    const conn = await dial(`ws://127.0.0.1:${port}/`, { followRedirects: true });
    expect((await conn.read()).text()).toBe('arrived');
    conn.terminate();
  });
});

describe('dial through an HTTP proxy (CONNECT)', () => {
  it('tunnels through the proxy with Basic credentials', async () => {
    const target = await serve({ port: 0 }, (conn) => { void conn.send('through the tunnel'); });
    cleanup.push(() => void target.close({ timeoutMs: 100 }));
    const seen: string[] = [];
    const proxy = createServer((client) => {
      client.on('error', () => {});
      client.once('data', (d) => {
        const head = d.toString('latin1');
        seen.push(head);
        const [, host, port] = /^CONNECT ([^:]+):(\d+)/.exec(head)!;
        const upstream = connect(Number(port), host, () => {
          upstream.on('error', () => {});
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          client.pipe(upstream).pipe(client);
        });
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.push(() => proxy.close());
    const proxyUrl = `http://user:p%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const conn = await dial(`ws://127.0.0.1:${target.address().port}/`, { proxy: proxyUrl });
    expect((await conn.read()).text()).toBe('through the tunnel');
    expect(seen[0]).toMatch(/^CONNECT 127\.0\.0\.1:\d+ HTTP\/1\.1/);
    expect(seen[0]).toContain(`Proxy-Authorization: Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    conn.terminate();
  });

  it('reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY when proxy is "env"', () => {
    const env = { HTTP_PROXY: 'http://proxy:3128', HTTPS_PROXY: 'http://secure-proxy:3128', NO_PROXY: 'internal.example,.corp:8080' };
    expect(proxyFor(new URL('ws://a.example/'), 'env', env)?.url.host).toBe('proxy:3128');
    expect(proxyFor(new URL('wss://a.example/'), 'env', env)?.url.host).toBe('secure-proxy:3128');
    expect(proxyFor(new URL('ws://internal.example/'), 'env', env)).toBeUndefined();
    expect(proxyFor(new URL('ws://x.corp:8080/'), 'env', env)).toBeUndefined();
    expect(proxyFor(new URL('ws://x.corp:9090/'), 'env', env)?.url.host).toBe('proxy:3128');
    expect(proxyFor(new URL('ws://a.example/'), false, env)).toBeUndefined();
  });
});

describe('wss://', () => {
  it('connects over TLS to a server with a self-signed certificate trusted by the test', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmws-tls-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const https = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert });
    const upgrader = new Upgrader();
    https.on('upgrade', (req, socket, head) => {
      const conn = upgrader.upgrade(req, socket, head);
      if (conn) void (async () => { for await (const m of conn) await conn.send(`secure:${m.text()}`); })().catch(() => {});
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    cleanup.push(() => https.close());
    const url = `wss://localhost:${(https.address() as AddressInfo).port}/`;
    await expect(dial(url)).rejects.toThrow(/self-signed|certificate/i);
    const conn = await dial(url, { tls: { ca: cert } });
    await conn.send('hello');
    expect((await conn.read()).text()).toBe('secure:hello');
    await conn.close();
  });
});
