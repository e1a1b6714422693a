// WebSocketServer (ws's doc/ws.md, class WebSocketServer): option exclusivity, path,
// verifyClient in both arities, handleProtocols read at each upgrade, clientTracking, the
// headers event, wsClientError, noServer + handleUpgrade, address(), close(cb). Each scenario
// runs on wasmws/ws and on ws.
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, once, ours, real, shutdown, sleep, type AnyServer } from './helpers';

let servers: AnyServer[] = [];
let http: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map(shutdown));
  await Promise.all(http.map((s) => new Promise((resolve) => { s.closeAllConnections(); s.close(resolve); })));
  servers = [];
  http = [];
});

/** A raw upgrade request: the response's status and headers (101 or an error). */
function rawUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; socket?: Socket }> {
  return new Promise((resolve, reject) => {
    const req = get(url.replace(/^ws/, 'http'), {
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers,
      },
    });
    req.on('upgrade', (res, socket) => { resolve({ status: res.statusCode!, headers: res.headers, socket }); });
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode!, headers: res.headers }); });
    req.on('error', reject);
  });
}

describe.each([ours, real])('$name WebSocketServer', (impl) => {
  async function start(options: Record<string, unknown> = {}) {
    const started = await listen(impl, options);
    servers.push(started.wss);
    return started;
  }

  it('wants exactly one of port, server, noServer', () => {
    expect(() => new impl.WebSocketServer({})).toThrow(TypeError);
    expect(() => new impl.WebSocketServer({ port: 0, noServer: true })).toThrow(TypeError);
    expect(() => new impl.WebSocketServer({ server: createServer(), noServer: true })).toThrow(TypeError);
  });

  it('answers plain HTTP on its own port with 426', async () => {
    const { url } = await start();
    const status = await new Promise((resolve) => get(url.replace('ws', 'http'), (res) => { res.resume(); resolve(res.statusCode); }));
    expect(status).toBe(426);
  });

  it('upgrades only its path (400 elsewhere)', async () => {
    const { url, wss } = await start({ path: '/live' });
    expect((await rawUpgrade(`${url}/other`)).status).toBe(400);
    const connected = once(wss, 'connection');
    const ok = await rawUpgrade(`${url}/live?x=1`);
    expect(ok.status).toBe(101);
    const [, req] = await connected;
    expect(req.url).toBe('/live?x=1');
    ok.socket!.destroy();
  });

  it('verifyClient(info): false is 401; info has origin, secure and req', async () => {
    const seen: any[] = [];
    const { url } = await start({ verifyClient: (info: any) => { seen.push(info); return info.origin === 'https://good.example'; } });
    expect((await rawUpgrade(url, { Origin: 'https://evil.example' })).status).toBe(401);
    const ok = await rawUpgrade(url, { Origin: 'https://good.example' });
    expect(ok.status).toBe(101);
    ok.socket!.destroy();
    expect(seen[0].secure).toBe(false);
    expect(seen[0].req.headers.origin).toBe('https://evil.example');
  });

  it('verifyClient(info, cb): the code, message and headers of a refusal are sent', async () => {
    const { url } = await start({
      verifyClient: (info: any, cb: any) => setTimeout(() => (info.req.url === '/ok' ? cb(true) : cb(false, 403, 'Nope', { 'X-Reason': 'test' })), 5),
    });
    const refused = await rawUpgrade(`${url}/no`);
    expect(refused.status).toBe(403);
    expect(refused.headers['x-reason']).toBe('test');
    const ok = await rawUpgrade(`${url}/ok`);
    expect(ok.status).toBe(101);
    ok.socket!.destroy();
  });

  it('reads handleProtocols from options at each upgrade (assigned after construction); default is the first offer', async () => {
    const { url, wss } = await start();
    const first = new impl.WebSocket(url, ['b', 'a']);
    await once(first, 'open');
    expect(first.protocol).toBe('b');
    first.terminate();
    const offered: string[][] = [];
    wss.options.handleProtocols = (protocols: Set<string>) => { offered.push([...protocols]); return protocols.has('a') ? 'a' : false; };
    const second = new impl.WebSocket(url, ['b', 'a']);
    await once(second, 'open');
    expect(second.protocol).toBe('a');
    second.terminate();
    // false: no subprotocol in the 101 (ws's own client then fails; RFC 6455 §4.1 allows it).
    const third = await rawUpgrade(url, { 'Sec-WebSocket-Protocol': 'c' });
    expect(third.status).toBe(101);
    expect(third.headers['sec-websocket-protocol']).toBeUndefined();
    third.socket!.destroy();
    expect(offered).toEqual([['b', 'a'], ['c']]);
  });

  it('tracks clients (default) and forgets them on close; clientTracking:false has no set', async () => {
    const { url, wss } = await start();
    const client = new impl.WebSocket(url);
    const [server] = await once(wss, 'connection');
    if (client.readyState === 0) await once(client, 'open');
    expect(wss.clients.has(server)).toBe(true);
    client.close();
    await once(server, 'close');
    expect(wss.clients.size).toBe(0);
    const untracked = await start({ clientTracking: false });
    expect(untracked.wss.clients).toBeUndefined();
  });

  it('writes the lines that headers listeners push into the 101', async () => {
    const { url, wss } = await start();
    wss.on('headers', (headers: string[], req: IncomingMessage) => {
      expect(headers[0]).toBe('HTTP/1.1 101 Switching Protocols');
      expect(req.headers.upgrade).toBe('websocket');
      headers.push('Set-Cookie: io=abc; Path=/', 'Set-Cookie: two=2', 'X-Extra: yes');
    });
    const res = await rawUpgrade(url);
    expect(res.status).toBe(101);
    expect(res.headers['set-cookie']).toEqual(['io=abc; Path=/', 'two=2']);
    expect(res.headers['x-extra']).toBe('yes');
    res.socket!.destroy();
  });

  it('gives a bad request to wsClientError listeners (err, socket, req), else answers 400 itself', async () => {
    const { url, wss } = await start();
    expect((await rawUpgrade(url, { 'Sec-WebSocket-Key': 'short' })).status).toBe(400);
    wss.on('wsClientError', (err: Error, socket: Socket, req: IncomingMessage) => {
      expect(err).toBeInstanceOf(Error);
      expect(req.headers['sec-websocket-key']).toBe('short');
      socket.end('HTTP/1.1 418 Teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    expect((await rawUpgrade(url, { 'Sec-WebSocket-Key': 'short' })).status).toBe(418);
  });

  it('noServer: handleUpgrade(req, socket, head, cb) on an application\'s http server; address() throws', async () => {
    const wss = new impl.WebSocketServer({ noServer: true });
    servers.push(wss);
    expect(() => wss.address()).toThrow(/noServer/);
    const server = createServer();
    http.push(server);
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/ws') wss.handleUpgrade(req, socket, head, (ws: any) => ws.send('welcome'));
      else socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new impl.WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`);
    const [data] = await once(client, 'message');
    expect(data.toString()).toBe('welcome');
    client.terminate();
  });

  it('attaches to { server } and reports its listening, address()', async () => {
    const server = createServer();
    http.push(server);
    const wss = new impl.WebSocketServer({ server });
    servers.push(wss);
    const listening = once(wss, 'listening');
    server.listen(0, '127.0.0.1');
    await listening;
    expect((wss.address() as AddressInfo).port).toBe((server.address() as AddressInfo).port);
  });

  it('close(cb) stops accepting but leaves open connections open (ws 8); a second close(cb) is told the server is not running', async () => {
    const { url, wss } = await start();
    const client = new impl.WebSocket(url);
    const [server] = await once(wss, 'connection');
    if (client.readyState === 0) await once(client, 'open');
    let closed = false;
    wss.close(() => { closed = true; });
    await sleep(30);
    expect(server.readyState).toBe(1);
    client.send('still here');
    expect((await once(server, 'message'))[0].toString()).toBe('still here');
    client.close();
    for (let i = 0; i < 200 && !closed; i++) await sleep(5);
    expect(closed).toBe(true);
    const err = await new Promise((resolve) => wss.close(resolve));
    expect(err).toBeInstanceOf(Error);
  });

  it('perMessageDeflate is off by default and on when asked', async () => {
    const plain = await start();
    const a = new impl.WebSocket(plain.url);
    await once(a, 'open');
    expect(a.extensions).toBe('');
    a.terminate();
    const deflating = await start({ perMessageDeflate: { threshold: 0, serverNoContextTakeover: true } });
    const b = new impl.WebSocket(deflating.url);
    await once(b, 'open');
    expect(b.extensions).toBe('permessage-deflate');
    b.terminate();
  });

  it('maps ws\'s perMessageDeflate object onto the negotiation (no context takeover, window bits)', async () => {
    const { url } = await start({ perMessageDeflate: { serverNoContextTakeover: true, serverMaxWindowBits: 10, threshold: 0 } });
    const res = await rawUpgrade(url, { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' });
    const agreed = String(res.headers['sec-websocket-extensions']);
    expect(agreed).toMatch(/^permessage-deflate/);
    expect(agreed).toContain('server_no_context_takeover');
    expect(agreed).toContain('server_max_window_bits=10');
    res.socket!.destroy();
    const declined = await rawUpgrade(url, { 'Sec-WebSocket-Extensions': 'x-unknown' });
    expect(declined.headers['sec-websocket-extensions']).toBeUndefined();
    declined.socket!.destroy();
  });

  it('maxPayload: a bigger message is an error event on the server, and the client sees 1009', async () => {
    const { url, wss } = await start({ maxPayload: 10 });
    const client = new impl.WebSocket(url);
    const [server] = await once(wss, 'connection');
    if (client.readyState === 0) await once(client, 'open');
    const serverError = once(server, 'error');
    const serverClose = once(server, 'close');
    const clientClose = once(client, 'close');
    client.send(Buffer.alloc(11));
    const [err] = await serverError;
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toMatch(/^WS_ERR_/);
    expect((await serverClose)[0]).toBe(1006);
    expect((await clientClose)[0]).toBe(1009);
  });
});

describe('wasmws/ws WebSocketServer: user callbacks that throw, unsafe header lines', () => {
  async function start(options: Record<string, unknown> = {}) {
    const started = await listen(ours, options);
    servers.push(started.wss);
    return started;
  }

  it('answers 500 when verifyClient (either arity), handleProtocols or a headers listener throws', async () => {
    const boom = () => { throw new Error('callback bug'); };
    for (const options of [{ verifyClient: (_info: unknown) => boom() }, { verifyClient: (_info: unknown, _cb: unknown) => boom() }, { handleProtocols: boom }]) {
      const { url } = await start(options);
      expect((await rawUpgrade(url, { 'Sec-WebSocket-Protocol': 'p' })).status).toBe(500);
    }
    const { url, wss } = await start();
    wss.on('headers', boom);
    expect((await rawUpgrade(url)).status).toBe(500);
  });

  it('closes with 1011 when a connection listener throws, and keeps serving', async () => {
    const { url, wss } = await start();
    wss.once('connection', () => { throw new Error('listener bug'); });
    const first = new real.WebSocket(url);
    expect((await once(first, 'close'))[0]).toBe(1011);
    const second = new real.WebSocket(url);
    await once(second, 'open');
    second.terminate();
  });

  it('refuses a handleProtocols pick the client did not offer (RFC 6455 §4.2.2: 500)', async () => {
    const { url } = await start({ handleProtocols: () => 'never-offered' });
    expect((await rawUpgrade(url, { 'Sec-WebSocket-Protocol': 'p' })).status).toBe(500);
  });

  it('drops pushed header lines that hold CR or LF (no response splitting)', async () => {
    const { url, wss } = await start();
    wss.on('headers', (headers: string[]) => headers.push('X-Evil: a\r\nSet-Cookie: stolen=1', 'X-Fine: ok'));
    const res = await rawUpgrade(url);
    expect(res.status).toBe(101);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-evil']).toBeUndefined();
    expect(res.headers['x-fine']).toBe('ok');
    res.socket!.destroy();
  });
});

describe('handleUpgrade on any Duplex (not a net.Socket)', () => {
  it.each([ours, real])('$name: answers the 101 and sends a frame over an in-memory stream pair', async (impl) => {
    const { Duplex, PassThrough } = await import('node:stream');
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const serverSide = Duplex.from({ readable: toServer, writable: toClient });
    const wss = new impl.WebSocketServer({ noServer: true });
    servers.push(wss);
    const req = {
      method: 'GET', url: '/', httpVersion: '1.1', socket: {},
      headers: { host: 'memory', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    } as unknown as IncomingMessage;
    let received = Buffer.alloc(0);
    toClient.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]); });
    const accepted = new Promise<any>((resolve) => wss.handleUpgrade(req, serverSide, Buffer.alloc(0), resolve));
    const ws = await accepted;
    ws.send('over a duplex');
    for (let i = 0; i < 100 && !received.includes('over a duplex'); i++) await sleep(5);
    const text = received.toString('latin1');
    expect(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    expect(text).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const frame = received.subarray(text.indexOf('\r\n\r\n') + 4);
    expect([...frame.subarray(0, 2)]).toEqual([0x81, 13]);
    expect(frame.subarray(2).toString()).toBe('over a duplex');
    ws.terminate();
  });
});
