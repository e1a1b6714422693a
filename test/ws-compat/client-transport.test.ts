// The client's transport options and handshake events, side by side on wasmws/ws and ws:
// `agent` and `createConnection` (ws's doc/ws.md), 'redirect(url, req)' before a redirect is
// followed, the 101 in 'upgrade' as an IncomingMessage has it, and 'unexpected-response'
// with a chunked body. What holds for both is ws's behaviour; wasmws's stricter rules follow.
import { Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../helpers/handshake-peers';
import { closeTracked, httpServer, listen, once, ours, real, tracked, type AnyServer } from './helpers';

afterEach(closeTracked);

async function readAll(res: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Resolves with the close code; rejects on nothing. */
const closed = (ws: any) => new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));

const { key, cert } = selfSignedCert();

/** A wss:// WebSocketServer (ws's, the reference) on an https server with the test certificate. */
async function secureServer(): Promise<{ url: string; wss: AnyServer }> {
  const server = createHttpsServer({ key, cert });
  const wss = new real.WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tracked.wss.push(wss);
  tracked.http.push(server);
  return { url: `wss://localhost:${(server.address() as AddressInfo).port}`, wss };
}

describe.each([ours, real])('$name client transport and handshake events', (impl) => {
  it("'upgrade' carries the 101 as received: status, every header, set-cookie as an array, rawHeaders", async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    wss.on('headers', (headers: string[]) => headers.push('Set-Cookie: a=1; Path=/', 'Set-Cookie: b=2', 'X-Trace: t1'));
    const ws = new impl.WebSocket(url);
    const opened = once(ws, 'open'); // ws emits open in the same turn as upgrade
    const [res] = await once(ws, 'upgrade');
    expect(res.statusCode).toBe(101);
    expect(res.statusMessage).toBe('Switching Protocols');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(res.headers['x-trace']).toBe('t1');
    expect(res.headers.upgrade).toBe('websocket');
    expect(typeof res.headers['sec-websocket-accept']).toBe('string');
    expect(res.rawHeaders).toContain('Set-Cookie');
    expect(res.rawHeaders).toContain('b=2');
    await opened;
    ws.terminate();
  });

  it("'unexpected-response' gets a readable res whose chunked body is decoded", async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json', 'Set-Cookie': ['s=1', 't=2'] }); // no length: chunked
      res.write('{"error":');
      setTimeout(() => res.end('"forbidden"}'), 20);
    });
    const ws = new impl.WebSocket(url);
    ws.on('error', () => {});
    const [req, res] = await once(ws, 'unexpected-response');
    expect(typeof req.destroy).toBe('function');
    expect(res.statusCode).toBe(403);
    expect(res.statusMessage).toBe('Forbidden');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['set-cookie']).toEqual(['s=1', 't=2']);
    expect((await readAll(res)).toString()).toBe('{"error":"forbidden"}');
    ws.terminate?.();
  });

  it("emits 'redirect(url, req)' before following; ws.url is the new URL; req.setHeader() reaches the next request", async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const redirector = await httpServer((_req, res) => { res.writeHead(302, { Location: `${url}/there` }); res.end(); });
    const order: string[] = [];
    wss.on('connection', (_socket: unknown, req: IncomingMessage) => order.push(`connection ${req.headers['x-hop']}`));
    const ws = new impl.WebSocket(`${redirector}/here`, { followRedirects: true });
    ws.on('redirect', (next: string, req: any) => {
      order.push(`redirect ${new URL(next).pathname}`);
      expect(ws.url).toBe(next);
      req.setHeader('X-Hop', 'second');
    });
    await once(ws, 'open');
    expect(order).toEqual(['redirect /there', 'connection second']);
    expect(ws.url).toBe(`${url}/there`);
    ws.terminate();
  });

  it('createConnection opens the socket (called with host and port), for every hop', async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const seen: string[] = [];
    const ws = new impl.WebSocket(url, {
      createConnection: (options: { host: string; port: number | string }) => {
        seen.push(`${options.host}:${options.port}`);
        return netConnect({ host: options.host, port: Number(options.port) });
      },
    });
    ws.on('message', (data: Buffer) => ws.close(1000, data));
    const [peer] = await once(wss, 'connection');
    peer.send('through the factory');
    expect(await closed(ws)).toBe(1000);
    expect(seen).toEqual([new URL(url).host]);
  });

  it('createConnection for wss:// returning a TLS socket: used as it is (its checks are its own)', async () => {
    const { url } = await secureServer();
    const ws = new impl.WebSocket(url, {
      createConnection: (options: { host: string; port: number | string; servername?: string }) => {
        expect(options.servername).toBeUndefined(); // ws computes SNI in the tlsConnect a factory replaces
        return tlsConnect({ host: options.host, port: Number(options.port), servername: options.host, ca: cert });
      },
    });
    await once(ws, 'open');
    ws.terminate();
  });

  it("an http.Agent's createConnection opens the socket, and an https.Agent's options (ca) apply", async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    let made = 0;
    class Counting extends HttpAgent {
      override createConnection(...args: any[]): any {
        made++;
        return (HttpAgent.prototype as any).createConnection.apply(this, args);
      }
    }
    const ws = new impl.WebSocket(url, { agent: new Counting() });
    await once(ws, 'open');
    expect(made).toBe(1);
    ws.terminate();
    const { Agent: HttpsAgent } = await import('node:https');
    const secure = await secureServer();
    const tls = new impl.WebSocket(secure.url, { agent: new HttpsAgent({ ca: cert }) });
    await once(tls, 'open');
    tls.terminate();
    const untrusted = new impl.WebSocket(secure.url, { agent: new HttpsAgent() });
    const [err] = await once(untrusted, 'error');
    expect(String(err.code ?? err.message)).toMatch(/SELF_SIGNED|self-signed/i);
  });

  it('createConnection that hands back an error: error, then close 1006', async () => {
    const ws = new impl.WebSocket('ws://127.0.0.1:1/', {
      createConnection: (_options: unknown, oncreate: (err: Error) => void) => { process.nextTick(() => oncreate(new Error('no route'))); },
    });
    const code = closed(ws); // close follows error in the same turn
    const [err] = await once(ws, 'error');
    expect(err.message).toBe('no route');
    expect(await code).toBe(1006);
  });
});

describe('wasmws/ws client transport, where wasmws is stricter', () => {
  it('createConnection returning a plain socket for wss:// gets TLS over it, checked against the URL host', async () => {
    const { url } = await secureServer();
    const plain = (options: { host: string; port: number }) => netConnect({ host: options.host, port: options.port });
    const trusted = new ours.WebSocket(url, { createConnection: plain, ca: cert });
    await once(trusted, 'open');
    expect((trusted as any)._socket).toBeUndefined(); // client side: the Conn owns it
    trusted.terminate();
    const refused = new ours.WebSocket(url, { createConnection: plain }); // no ca: the self-signed certificate fails
    const [err] = await once(refused, 'error');
    expect(String(err.code ?? err.message)).toMatch(/SELF_SIGNED|self-signed/i);
  });

  it('a redirect to another origin is refused when createConnection is set (ws would reuse the factory)', async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const redirector = await httpServer((_req, res) => { res.writeHead(307, { Location: `${url}/elsewhere` }); res.end(); });
    let calls = 0;
    const ws = new ours.WebSocket(redirector, {
      followRedirects: true,
      createConnection: (options: { host: string; port: number }) => { calls++; return netConnect(options.port, options.host); },
    });
    let connected = false;
    wss.on('connection', () => { connected = true; });
    const code = closed(ws);
    const [err] = await once(ws, 'error');
    expect(err.message).toMatch(/refusing the redirect.*createConnection/);
    expect(err.status).toBe(307);
    expect(await code).toBe(1006);
    expect(calls).toBe(1);
    expect(connected).toBe(false);
  });

  it("a same-origin redirect keeps the factory; 'redirect' sees the credentials dropped on another origin", async () => {
    let hits = 0;
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const same = await httpServer((req, res) => {
      hits++;
      if (req.url === '/first') { res.writeHead(301, { Location: '/second' }); res.end(); return; }
      res.writeHead(302, { Location: `${url}/other` }); res.end();
    });
    let calls = 0;
    const viaFactory = new ours.WebSocket(`${same}/first`, {
      followRedirects: true,
      createConnection: (options: { host: string; port: number }) => { calls++; return netConnect(options.port, options.host); },
    });
    viaFactory.on('error', () => {});
    await closed(viaFactory); // /second sends it to another origin: refused
    expect(calls).toBe(2);
    expect(hits).toBe(2);
    const plain = new ours.WebSocket(`${same}/first`, { followRedirects: true, headers: { Authorization: 'Bearer x', 'X-Keep': 'y' } });
    const seen: Record<string, unknown>[] = [];
    plain.on('redirect', (_url: string, req: any) => seen.push(req.getHeaders()));
    await once(plain, 'open');
    expect(seen[0]).toMatchObject({ authorization: 'Bearer x', 'x-keep': 'y' });
    expect(seen[1].authorization).toBeUndefined();
    expect(seen[1]['x-keep']).toBe('y');
    plain.terminate();
  });

  it("a 'redirect' listener that throws or calls req.destroy(err) stops the handshake with that error", async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const redirector = await httpServer((_req, res) => { res.writeHead(302, { Location: url }); res.end(); });
    const ws = new ours.WebSocket(redirector, { followRedirects: true });
    ws.on('redirect', (_url: string, req: any) => req.destroy(new Error('not there')));
    const code = closed(ws);
    const [err] = await once(ws, 'error');
    expect(err.message).toBe('not there');
    expect(await code).toBe(1006);
    const throwing = new ours.WebSocket(redirector, { followRedirects: true });
    throwing.on('redirect', () => { throw new Error('listener threw'); });
    const thrownCode = closed(throwing);
    const [thrown] = await once(throwing, 'error');
    expect(thrown.message).toBe('listener threw');
    expect(await thrownCode).toBe(1006);
  });

  it("the 'unexpected-response' body is bounded (4 KiB) however long the chunked body", async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(500);
      for (let i = 0; i < 64; i++) res.write('x'.repeat(1024));
      res.end();
    });
    const ws = new ours.WebSocket(url);
    const [, res] = await once(ws, 'unexpected-response');
    const body = await readAll(res);
    expect(body.length).toBe(4096);
    expect(body.toString()).toBe('x'.repeat(4096));
  });

  it('a proxy agent (one that makes its own sockets) is refused, naming it', () => {
    class ProxyAgent extends HttpAgent {
      createSocket(): void {}
    }
    expect(() => new ours.WebSocket('ws://127.0.0.1/', { agent: new ProxyAgent() })).toThrow(/agent that makes its own sockets/);
  });
});

export type { Socket };
