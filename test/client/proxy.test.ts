import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { HandshakeError, WebSocketError } from '../../src/errors';
import { proxyFor } from '../../src/handshake/proxy';
import { connectProxy, headerEchoServer, selfSignedCert, type EchoedRequest } from '../helpers/handshake-peers';

let cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });
const track = <T extends { close(): void }>(peer: T): T => { cleanup.push(() => peer.close()); return peer; };

async function echoed(conn: Conn): Promise<EchoedRequest> {
  const message = JSON.parse((await conn.read()).text()) as EchoedRequest;
  conn.terminate();
  return message;
}

const basic = (user: string, pass: string) => `Proxy-Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('dial through an https: proxy (TLS to the proxy, then CONNECT inside it)', () => {
  it.each(['ws', 'wss'])('reaches a %s:// target, the credentials only inside TLS', async (scheme) => {
    const { cert, key } = selfSignedCert();
    const proxy = track(await connectProxy({ tls: { cert, key } }));
    const target = track(await headerEchoServer(scheme === 'wss' ? { tls: { cert, key } } : {}));
    const conn = await dial(`${scheme}://127.0.0.1:${target.port}/`, {
      proxy: `https://user:pw@127.0.0.1:${proxy.port}`, proxyTls: { ca: cert }, tls: { ca: cert },
    });
    expect((await echoed(conn)).headers['proxy-authorization']).toBeUndefined();
    expect(proxy.heads[0]).toMatch(new RegExp(`^CONNECT 127\\.0\\.0\\.1:${target.port} HTTP/1\\.1\\r\\n`));
    expect(proxy.heads[0]).toContain(basic('user', 'pw'));
  });

  it('speaks TLS to an https: proxy taken from HTTPS_PROXY (proxy: "env")', async () => {
    const saved = { ...process.env };
    cleanup.push(() => { process.env = saved; });
    const { cert, key } = selfSignedCert();
    const proxy = track(await connectProxy({ tls: { cert, key } }));
    const target = track(await headerEchoServer({ tls: { cert, key } }));
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[name];
    process.env.HTTPS_PROXY = `https://envuser:envpw@127.0.0.1:${proxy.port}`;
    await echoed(await dial(`wss://127.0.0.1:${target.port}/`, { proxy: 'env', proxyTls: { ca: cert }, tls: { ca: cert } }));
    expect(proxy.heads[0]).toContain(basic('envuser', 'envpw'));
  });

  it('checks the proxy\'s certificate: an untrusted https: proxy fails the dial', async () => {
    const { cert, key } = selfSignedCert();
    const proxy = track(await connectProxy({ tls: { cert, key } }));
    await expect(dial('ws://127.0.0.1:1/', { proxy: `https://127.0.0.1:${proxy.port}` })).rejects.toThrow(/self-signed|certificate/i);
    expect(proxy.heads).toHaveLength(0);
  });
});

describe('dial: proxy schemes and answers', () => {
  it.each(['socks5://127.0.0.1:1080', 'ftp://proxy:21', 'not a url'])('refuses proxy %s with WS_ERR_INVALID_ARGUMENT', async (proxy) => {
    const err = await dial('ws://127.0.0.1:1/', { proxy }).catch((e) => e);
    expect(err).toBeInstanceOf(WebSocketError);
    expect(err.code).toBe('WS_ERR_INVALID_ARGUMENT');
  });

  it('refuses an unsupported scheme from the environment too, and reads a scheme-less value as http://', () => {
    expect(() => proxyFor(new URL('wss://a.example/'), 'env', { HTTPS_PROXY: 'socks5://p:1080' })).toThrow(/socks5/);
    const plain = proxyFor(new URL('ws://a.example/'), 'env', { HTTP_PROXY: 'proxy.local:3128' });
    expect(plain).toMatchObject({ secure: false, host: 'proxy.local', port: 3128 });
    expect(proxyFor(new URL('ws://a.example/'), 'https://p')).toMatchObject({ secure: true, port: 443 });
    expect(proxyFor(new URL('ws://a.example/'), 'http://p')).toMatchObject({ secure: false, port: 80 });
  });

  it('matches IPv6 NO_PROXY entries, with and without a port', () => {
    const env = { HTTP_PROXY: 'http://p:1', NO_PROXY: '[::1]:8080,fe80::1' };
    expect(proxyFor(new URL('ws://[::1]:8080/'), 'env', env)).toBeUndefined();
    expect(proxyFor(new URL('ws://[::1]:9090/'), 'env', env)).toBeDefined();
    expect(proxyFor(new URL('ws://[fe80::1]/'), 'env', env)).toBeUndefined();
  });

  it.each(['HTTP/1.0 200 Connection established', 'HTTP/1.1 204 Tunnel open'])('accepts any 2xx to CONNECT: %s', async (statusLine) => {
    const proxy = track(await connectProxy({ statusLine }));
    const target = track(await headerEchoServer());
    await echoed(await dial(`ws://127.0.0.1:${target.port}/`, { proxy: `http://127.0.0.1:${proxy.port}` }));
  });

  it('skips 1xx interim answers before the proxy\'s 200 (RFC 9110 §15.2: a client MUST parse them)', async () => {
    const proxy = track(await connectProxy({ statusLine: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-A: 1\r\n\r\nHTTP/1.1 200 Connection Established' }));
    const target = track(await headerEchoServer());
    const conn = await dial(`ws://127.0.0.1:${target.port}/`, { proxy: `http://127.0.0.1:${proxy.port}`, handshakeTimeoutMs: 2000 });
    expect((await echoed(conn)).headers.host).toBe(`127.0.0.1:${target.port}`);
  });

  it('rejects a refused CONNECT with the proxy\'s status, headers and body', async () => {
    const proxy = track(await connectProxy({ answer: () => 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 6\r\n\r\nlog in' }));
    const err = await dial('ws://127.0.0.1:1/', { proxy: `http://127.0.0.1:${proxy.port}` }).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err).toMatchObject({ status: 407, headers: { 'proxy-authenticate': 'Basic realm="x"' } });
    expect(new TextDecoder().decode(err.body)).toBe('log in');
  });

  it('keeps the bytes that arrive with the proxy\'s answer: they are the tunnel\'s first bytes', async () => {
    // The proxy's 200 and the target's first answer in one write, the socket left open.
    const proxy = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy'));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.push(() => proxy.close());
    const err = await dial('ws://127.0.0.1:1/', { proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, handshakeTimeoutMs: 2000 }).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err.status).toBe(503);
    expect(new TextDecoder().decode(err.body)).toBe('busy');
  });
});
