// The client (`new WebSocket(address, protocols, options)`, ws's doc/ws.md): argument
// checks, options that reach the request, handshake failures and their event order, and a
// peer's protocol violation. Scenarios that ws shares run on both implementations.
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTracked, httpServer, listen, once, ours, real, tracked, sleep } from './helpers';

afterEach(closeTracked);

/** Records the events a client emits, in order, until 'close'. */
function record(ws: any): Promise<string[]> {
  const events: string[] = [];
  return new Promise((resolve) => {
    for (const name of ['upgrade', 'open', 'error']) ws.on(name, () => events.push(name));
    ws.on('close', (code: number) => { events.push(`close ${code}`); resolve(events); });
  });
}

describe.each([ours, real])('$name client', (impl) => {
  it('throws SyntaxError on a bad URL or subprotocol list', () => {
    expect(() => new impl.WebSocket('not a url')).toThrow(SyntaxError);
    expect(() => new impl.WebSocket('ftp://127.0.0.1/')).toThrow(SyntaxError);
    expect(() => new impl.WebSocket('ws://127.0.0.1/#frag')).toThrow(SyntaxError);
    expect(() => new impl.WebSocket('ws://127.0.0.1/', ['a', 'a'])).toThrow(SyntaxError);
    expect(() => new impl.WebSocket('ws://127.0.0.1/', ['a b'])).toThrow(SyntaxError);
  });

  it('throws on send() while connecting, and is CONNECTING until open', async () => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const ws = new impl.WebSocket(url);
    expect(ws.readyState).toBe(0);
    expect(() => ws.send('early')).toThrow(/CONNECTING/);
    await once(ws, 'open');
    expect(ws.readyState).toBe(1);
    ws.terminate();
  });

  it('sends headers and origin; takes (url, options) without protocols; offers subprotocols', async () => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const first = new impl.WebSocket(url, { headers: { 'X-Token': 'abc' }, origin: 'https://app.example' });
    const [, req] = await once(wss, 'connection');
    expect(req.headers['x-token']).toBe('abc');
    expect(req.headers.origin).toBe('https://app.example');
    if (first.readyState === 0) await once(first, 'open');
    first.terminate();
    const second = new impl.WebSocket(url, 'chat');
    await once(second, 'open');
    expect(second.protocol).toBe('chat');
    second.terminate();
  });

  it('sends the URL\'s credentials, or the auth option, as Basic Authorization (a header given wins)', async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const authOf = async (address: string, options: Record<string, unknown> = {}) => {
      const accepted = once(wss, 'connection');
      const ws = new impl.WebSocket(address, options);
      const [, req] = await accepted;
      if (ws.readyState === 0) await once(ws, 'open');
      ws.terminate();
      return req.headers.authorization as string | undefined;
    };
    const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
    const withUser = url.replace('ws://', 'ws://alice:s3cret@');
    expect(await authOf(withUser)).toBe(basic('alice:s3cret'));
    expect(await authOf(url, { auth: 'bob:pw' })).toBe(basic('bob:pw'));
    expect(await authOf(withUser, { headers: { Authorization: 'Bearer t' } })).toBe('Bearer t');
    expect(await authOf(url)).toBeUndefined();
  });

  it('emits upgrade, then open, then close', async () => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const ws = new impl.WebSocket(url);
    const events = record(ws);
    await once(ws, 'open');
    ws.close();
    // close() without a code sends an empty close frame: the echo is 1005.
    expect(await events).toEqual(['upgrade', 'open', 'close 1005']);
  });

  it('a non-101 answer: error then close 1006; with an unexpected-response listener, no error', async () => {
    const url = await httpServer((_req, res) => { res.writeHead(401, { 'Content-Type': 'text/plain', 'Content-Length': 7 }); res.end('go away'); });
    const plain = new impl.WebSocket(url);
    let error: Error | undefined;
    plain.on('error', (err: Error) => { error = err; });
    expect(await record(plain)).toEqual(['error', 'close 1006']);
    expect(error!.message).toBe('Unexpected server response: 401');
    const handled = new impl.WebSocket(url);
    handled.on('error', () => {});
    const got = new Promise<any>((resolve) => handled.on('unexpected-response', (_req: unknown, res: any) => resolve(res)));
    const res = await got;
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe('text/plain');
    const body: Buffer[] = [];
    for await (const chunk of res) body.push(chunk);
    expect(Buffer.concat(body).toString()).toBe('go away');
    handled.terminate?.();
  });

  it('a failed handshake is CLOSING during its error event and CLOSED at close (refused, or closed while connecting)', async () => {
    const url = await httpServer((_req, res) => { res.writeHead(401, { 'Content-Length': 0 }); res.end(); });
    const states = async (ws: any) => {
      const seen: string[] = [];
      ws.on('error', () => seen.push(`error ${ws.readyState}`));
      await new Promise<void>((resolve) => ws.on('close', () => { seen.push(`close ${ws.readyState}`); resolve(); }));
      return seen;
    };
    expect(await states(new impl.WebSocket(url))).toEqual(['error 2', 'close 3']);
    const aborted = new impl.WebSocket(url);
    const seen = states(aborted);
    aborted.close();
    expect(await seen).toEqual(['error 2', 'close 3']);
  });

  it('close() while connecting: error, then close 1006', async () => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const ws = new impl.WebSocket(url);
    const events = record(ws);
    ws.close();
    expect(await events).toEqual(['error', 'close 1006']);
  });

  it.each(['close', 'terminate'])('%s() while connecting: CLOSING at once; send() and ping() then do not throw, their callbacks get the error', async (method) => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const ws = new impl.WebSocket(url);
    ws.on('error', () => {});
    const closed = once(ws, 'close');
    ws[method]();
    expect(ws.readyState).toBe(2);
    const sent = new Promise<any[]>((resolve) => ws.send('late', (...args: any[]) => resolve(args)));
    const pinged = new Promise<any[]>((resolve) => ws.ping('p', undefined, (...args: any[]) => resolve(args)));
    expect((await sent)[0]).toBeInstanceOf(Error);
    expect((await pinged)[0]).toBeInstanceOf(Error);
    expect((await closed)[0]).toBe(1006);
    expect(ws.readyState).toBe(3);
  });

  it('handshakeTimeout: a server that never answers is an error, then close 1006', async () => {
    const silent = createNetServer((socket: Socket) => socket.on('data', () => {}));
    tracked.http.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const ws = new impl.WebSocket(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}`, { handshakeTimeout: 100 });
    expect(await record(ws)).toEqual(['error', 'close 1006']);
  });

  it('maxPayload: a bigger message is an error on the client (a WS_ERR_ code), close 1006; the server sees 1009', async () => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const ws = new impl.WebSocket(url, { maxPayload: 8 });
    const [peer] = await once(wss, 'connection');
    if (ws.readyState === 0) await once(ws, 'open');
    const errored = once(ws, 'error');
    const closed = once(ws, 'close');
    const peerClosed = once(peer, 'close');
    peer.send(Buffer.alloc(9));
    expect((await errored)[0].code).toMatch(/^WS_ERR_/);
    expect((await closed)[0]).toBe(1006);
    expect((await peerClosed)[0]).toBe(1009);
  });

  it('perMessageDeflate: false offers no extension', async () => {
    const { url, wss } = await listen(impl, { perMessageDeflate: true });
    tracked.wss.push(wss);
    const ws = new impl.WebSocket(url, { perMessageDeflate: false });
    await once(ws, 'open');
    expect(ws.extensions).toBe('');
    ws.terminate();
  });

  it('followRedirects follows a 302 to the WebSocket server', async () => {
    const { url, wss } = await listen(impl);
    tracked.wss.push(wss);
    const redirector = await httpServer((_req, res) => { res.writeHead(302, { Location: `${url.replace('ws', 'http')}/there` }); res.end(); });
    const ws = new impl.WebSocket(`${redirector}/here`, { followRedirects: true });
    const [, req] = await once(wss, 'connection');
    expect(req.url).toBe('/there');
    await once(ws, 'open').catch(() => {});
    ws.terminate();
  });
});

describe('wasmws/ws client, where wasmws is stricter or differs', () => {
  it('names the ws options it does not support', () => {
    expect(() => new ours.WebSocket('ws://127.0.0.1/', { agent: {} })).toThrow(/agent that makes its own sockets.*not supported/);
    expect(() => new ours.WebSocket('ws://127.0.0.1/', { finishRequest: () => {} })).toThrow(/finishRequest.*not supported/);
    expect(() => new ours.WebSocket('ws://127.0.0.1/', { protocolVersion: 8 })).toThrow(RangeError);
  });

  it('fails invalid UTF-8 at once: error (WS_ERR_INVALID_UTF8), close 1006, and the peer sees 1007', async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const ws = new ours.WebSocket(url);
    const [peer] = await once(wss, 'connection');
    await sleep(10);
    const peerClosed = once(peer, 'close');
    const errored = once(ws, 'error');
    const closed = once(ws, 'close');
    // ws sends bytes as text unchecked when asked (binary: false): an invalid sequence.
    peer.send(Buffer.from([0xce, 0xba, 0xe1, 0xbd]), { binary: false });
    const [err] = await errored;
    expect(err.code).toBe('WS_ERR_INVALID_UTF8');
    expect((await closed)[0]).toBe(1006);
    expect((await peerClosed)[0]).toBe(1007);
  });

  it('a message listener that throws does not crash: the connection closes with 1011', async () => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const ws = new ours.WebSocket(url);
    const [peer] = await once(wss, 'connection');
    ws.on('message', () => { throw new Error('listener bug'); });
    const errored = once(ws, 'error');
    const peerClosed = once(peer, 'close');
    peer.send('boom');
    expect((await errored)[0].message).toBe('listener bug');
    expect((await peerClosed)[0]).toBe(1011);
  });
});

describe('wasmws/ws readyState once the core is closing', () => {
  it('is CLOSING as soon as the peer\'s close frame is in, before the close event; send() then fails with readyState 2', async () => {
    const { url, wss } = await listen(ours);
    tracked.wss.push(wss);
    const client = new real.WebSocket(url);
    const [server] = await once(wss, 'connection');
    await once(client, 'open');
    // The client does not read our echo (nor close TCP) until told: the connection stays
    // closing, and the close event waits for TCP.
    client.close(1000);
    client._socket.pause();
    for (let i = 0; i < 100 && server.readyState === 1; i++) await sleep(5);
    expect(server.readyState).toBe(2);
    const [err] = await new Promise<any[]>((resolve) => server.send('late', (...args: any[]) => resolve(args)));
    expect(err.message).toMatch(/readyState 2 \(CLOSING\)/);
    const closed = once(server, 'close');
    client._socket.resume();
    expect((await closed)[0]).toBe(1000);
  });
});

describe('wasmws/ws callbacks that throw', () => {
  it.each([
    ['a send callback', (ws: any) => ws.send('x', () => { throw new Error('cb bug'); })],
    ['a ping callback', (ws: any) => ws.ping('x', undefined, () => { throw new Error('cb bug'); })],
    ['an open listener', null],
  ])('%s: no crash, close 1011, the error is emitted', async (_label, act) => {
    const { url, wss } = await listen(real);
    tracked.wss.push(wss);
    const ws = new ours.WebSocket(url);
    const peerClosing = new Promise<any[]>((resolve) => wss.once('connection', (peer: any) => peer.once('close', (...args: any[]) => resolve(args))));
    const opened = once(ws, 'open');
    if (act === null) ws.once('open', () => { throw new Error('cb bug'); });
    const errored = once(ws, 'error');
    await opened;
    act?.(ws);
    expect((await errored)[0].message).toBe('cb bug');
    expect((await peerClosing)[0]).toBe(1011);
  });
});
