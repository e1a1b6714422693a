import { afterEach, describe, expect, it } from 'vitest';
import { dial, type DialOptions } from '../../src/client';
import type { Conn } from '../../src/conn/connection';
import { HandshakeError, TimeoutError, WebSocketError } from '../../src/errors';
import { connectProxy, fakeHttpServer, headerEchoServer, selfSignedCert, type EchoedRequest } from '../helpers/handshake-peers';

let cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });
const track = <T extends { close(): void }>(peer: T): T => { cleanup.push(() => peer.close()); return peer; };

const redirectTo = (location: string, status = 302) => `HTTP/1.1 ${status} Moved\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`;

async function echoed(conn: Conn): Promise<EchoedRequest> {
  const message = JSON.parse((await conn.read()).text()) as EchoedRequest;
  conn.terminate();
  return message;
}

const credentials = {
  Authorization: 'Bearer secret-token',
  Cookie: 'session=s3cr3t',
  'Proxy-Authorization': 'Basic c2VjcmV0',
  'X-Api-Key': 'k-123',
  'X-Trace': 'trace-1',
};

describe('dial: a redirect to another origin', () => {
  it('drops Authorization, Cookie, Proxy-Authorization, Host and sensitiveHeaders, keeps the other headers', async () => {
    const other = track(await headerEchoServer());
    const first = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${other.port}/landed`)));
    const conn = await dial(`ws://127.0.0.1:${first.port}/`, {
      followRedirects: true, sensitiveHeaders: ['x-api-key'], headers: { ...credentials, Host: 'virtual.example' },
    });
    const seen = await echoed(conn);
    expect(first.heads[0]).toContain('Authorization: Bearer secret-token');
    expect(first.heads[0]).toContain('Host: virtual.example');
    expect(seen.url).toBe('/landed');
    expect(seen.headers['x-trace']).toBe('trace-1');
    expect(seen.headers.host).toBe(`127.0.0.1:${other.port}`);
    for (const name of ['authorization', 'cookie', 'proxy-authorization', 'x-api-key']) expect(seen.headers[name]).toBeUndefined();
  });

  it('does not restore dropped credentials when the chain comes back to the first origin', async () => {
    let back = 0;
    const home = track(await headerEchoServer({ redirect: (url) => (url === '/start' ? `ws://127.0.0.1:${back}/away` : undefined) }));
    const away = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${home.port}/final`)));
    back = away.port;
    const seen = await echoed(await dial(`ws://127.0.0.1:${home.port}/start`, { followRedirects: 5, headers: credentials }));
    expect(seen.url).toBe('/final');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    expect(away.heads[0]).not.toMatch(/authorization|cookie/i);
  });

  it('goes through the proxy on every hop: the proxy gets its credentials each time, no target ever does', async () => {
    const proxy = track(await connectProxy());
    const other = track(await headerEchoServer());
    const first = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${other.port}/`)));
    const seen = await echoed(await dial(`ws://127.0.0.1:${first.port}/`, { followRedirects: true, proxy: `http://pu:pp@127.0.0.1:${proxy.port}` }));
    expect(proxy.heads.map((h) => h.split(' ')[1])).toEqual([`127.0.0.1:${first.port}`, `127.0.0.1:${other.port}`]);
    for (const head of proxy.heads) expect(head).toContain(`Proxy-Authorization: Basic ${Buffer.from('pu:pp').toString('base64')}`);
    expect(first.heads[0]).not.toMatch(/proxy-authorization/i);
    expect(seen.headers['proxy-authorization']).toBeUndefined();
  });

  it('re-evaluates NO_PROXY for the redirected host (proxy: "env")', async () => {
    const saved = { ...process.env };
    cleanup.push(() => { process.env = saved; });
    const proxy = track(await connectProxy());
    const other = track(await headerEchoServer());
    const first = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${other.port}/`)));
    for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[name];
    process.env.HTTP_PROXY = `http://127.0.0.1:${proxy.port}`;
    process.env.NO_PROXY = `127.0.0.1:${other.port}`;
    await echoed(await dial(`ws://127.0.0.1:${first.port}/`, { followRedirects: true, proxy: 'env' }));
    expect(proxy.heads.map((h) => h.split(' ')[1])).toEqual([`127.0.0.1:${first.port}`]);
    expect(other.heads).toHaveLength(1);
  });

  it('keeps the trust settings (ca) but drops servername and the client certificate', async () => {
    const { cert, key } = selfSignedCert();
    const other = track(await headerEchoServer({ tls: { cert, key } }));
    const first = track(await headerEchoServer({ tls: { cert, key }, redirect: () => `wss://127.0.0.1:${other.port}/` }));
    const conn = await dial(`wss://127.0.0.1:${first.port}/`, { followRedirects: true, tls: { ca: cert, servername: 'localhost' } });
    await echoed(conn);
    expect(first.servernames).toEqual(['localhost']);
    expect(other.servernames).toEqual([false]);
  });
});

describe('dial: a redirect on the same origin', () => {
  it('keeps every header, the subprotocols and compression, and resolves a relative Location', async () => {
    const server = track(await headerEchoServer({ subprotocols: ['chat'], redirect: (url) => (url === '/old' ? '/new?x=1#ignored' : undefined) }));
    for (const compression of [true, false]) {
      const conn = await dial(`ws://127.0.0.1:${server.port}/old`, { followRedirects: true, headers: credentials, subprotocols: ['chat'], compression });
      expect(conn.subprotocol).toBe('chat');
      const seen = await echoed(conn);
      expect(seen.url).toBe('/new?x=1');
      expect(seen.headers.authorization).toBe('Bearer secret-token');
      expect(seen.headers.cookie).toBe('session=s3cr3t');
      expect(seen.headers['x-api-key']).toBe('k-123');
      expect(seen.subprotocol).toBe('chat');
      expect(seen.extensions.includes('permessage-deflate')).toBe(compression);
    }
  });

  it('treats http:// as ws:// (the same origin) and follows it', async () => {
    let port = 0;
    const server = track(await headerEchoServer({ redirect: (url) => (url === '/a' ? `http://127.0.0.1:${port}/b` : undefined) }));
    port = server.port;
    const seen = await echoed(await dial(`ws://127.0.0.1:${server.port}/a`, { followRedirects: 1, headers: credentials }));
    expect(seen.url).toBe('/b');
    expect(seen.headers.authorization).toBe('Bearer secret-token');
  });
});

describe('dial: redirects that are refused', () => {
  it.each(['ws', 'http'])('refuses wss:// to %s:// (no cleartext hop), with the 302 status', async (scheme) => {
    const { cert, key } = selfSignedCert();
    const plain = track(await headerEchoServer());
    const secure = track(await headerEchoServer({ tls: { cert, key }, redirect: () => `${scheme}://127.0.0.1:${plain.port}/` }));
    const err = await dial(`wss://127.0.0.1:${secure.port}/`, { followRedirects: true, tls: { ca: cert }, headers: credentials }).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err).toMatchObject({ code: 'WS_ERR_HANDSHAKE', status: 302 });
    expect(err.message).toMatch(/leaves TLS/);
    expect(plain.heads).toHaveLength(0);
  });

  it.each([
    ['another scheme', 'ftp://127.0.0.1/x', /unsupported scheme ftp:/],
    ['credentials in the URL', 'ws://user:pw@127.0.0.1:1/', /credentials/],
    ['a URL that does not parse', 'ws://[::1', /not a valid URL/],
  ])('refuses a redirect to %s with a HandshakeError', async (_name, location, message) => {
    const server = track(await fakeHttpServer(() => redirectTo(location)));
    const err = await dial(`ws://127.0.0.1:${server.port}/`, { followRedirects: true }).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err.status).toBe(302);
    expect(err.message).toMatch(message);
  });

  it('follows only 301/302/303/307/308: a 300 with a Location is an error', async () => {
    const target = track(await headerEchoServer());
    const server = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${target.port}/`, 300)));
    await expect(dial(`ws://127.0.0.1:${server.port}/`, { followRedirects: true })).rejects.toMatchObject({ status: 300 });
    expect(target.heads).toHaveLength(0);
    for (const status of [301, 303, 307, 308]) {
      const hop = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${target.port}/`, status)));
      (await dial(`ws://127.0.0.1:${hop.port}/`, { followRedirects: true })).terminate();
    }
  });
});

describe('dial: the redirect limit and the deadline', () => {
  it('stops after the limit (a number, true = 10) with the last 3xx', async () => {
    const loop = track(await fakeHttpServer(() => redirectTo('/again')));
    const three = await dial(`ws://127.0.0.1:${loop.port}/`, { followRedirects: 3 }).catch((e) => e);
    expect(three).toBeInstanceOf(HandshakeError);
    expect(three).toMatchObject({ status: 302 });
    expect(three.message).toMatch(/stopped after 3 redirects/);
    expect(loop.heads).toHaveLength(4);
    await expect(dial(`ws://127.0.0.1:${loop.port}/`, { followRedirects: true })).rejects.toThrow(/stopped after 10 redirects/);
    expect(loop.heads).toHaveLength(4 + 11);
    await expect(dial(`ws://127.0.0.1:${loop.port}/`, { followRedirects: 50 })).rejects.toThrow(/stopped after 10 redirects/);
  });

  it.each([-1, 2.5, Number.NaN, 'yes'])('refuses followRedirects %s as an invalid argument', async (value) => {
    const err = await dial('ws://127.0.0.1:1/', { followRedirects: value as DialOptions['followRedirects'] }).catch((e) => e);
    expect(err).toBeInstanceOf(WebSocketError);
    expect(err.code).toBe('WS_ERR_INVALID_ARGUMENT');
  });

  it('applies handshakeTimeoutMs to the whole dial, across redirects', async () => {
    const slow = <T>(value: T) => new Promise<T>((r) => setTimeout(() => r(value), 250));
    const target = track(await headerEchoServer());
    const second = track(await fakeHttpServer(() => slow(redirectTo(`ws://127.0.0.1:${target.port}/`))));
    const first = track(await fakeHttpServer(() => slow(redirectTo(`ws://127.0.0.1:${second.port}/`))));
    await expect(dial(`ws://127.0.0.1:${first.port}/`, { followRedirects: true, handshakeTimeoutMs: 400 })).rejects.toBeInstanceOf(TimeoutError);
    await new Promise((r) => setTimeout(r, 300)); // the second hop would have answered by now
    expect(target.heads).toHaveLength(0);
  });
});

describe('dial: a redirect with two Location headers', () => {
  it('is refused, not followed to whatever the joined value parses as', async () => {
    const target = track(await headerEchoServer());
    const server = track(await fakeHttpServer(() => `HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${target.port}/a\r\nLocation: ws://127.0.0.1:${target.port}/b\r\nContent-Length: 0\r\n\r\n`));
    const err = await dial(`ws://127.0.0.1:${server.port}/`, { followRedirects: true }).catch((e) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err.message).toMatch(/more than one Location/);
    expect(target.heads).toHaveLength(0);
  });
});

describe('dial: arguments and aborts', () => {
  it('rejects a URL that does not parse with WS_ERR_INVALID_ARGUMENT', async () => {
    await expect(dial('not a url')).rejects.toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
  });

  it('aborts on the signal during a later hop', async () => {
    let accepted = 0;
    const silent = track(await fakeHttpServer(() => { accepted++; return null; }));
    const first = track(await fakeHttpServer(() => redirectTo(`ws://127.0.0.1:${silent.port}/`)));
    const controller = new AbortController();
    const dialing = dial(`ws://127.0.0.1:${first.port}/`, { followRedirects: true, signal: controller.signal });
    while (accepted === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('user gave up'));
    await expect(dialing).rejects.toThrow('user gave up');
  });
});
