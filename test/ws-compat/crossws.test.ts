// crossws (h3, Nitro, Nuxt) on wasmws/ws: its Node adapter takes `{ wss }`, reads
// `ws._socket`, pushes its upgrade hook's headers through the `headers` event, and swaps
// `wss.options.perMessageDeflate` per request.
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import crossws from 'crossws/adapters/node';
import RealWebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/ws/index';
import { once } from './helpers';

let http: Server | undefined;
let wss: WebSocketServer | undefined;
afterEach(async () => {
  for (const client of wss?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => { http?.closeAllConnections(); http ? http.close(() => resolve()) : resolve(); });
  http = undefined;
  wss = undefined;
});

async function start(perMessageDeflate: boolean) {
  wss = new WebSocketServer({ noServer: true });
  const closes: number[] = [];
  const adapter = crossws({
    wss,
    hooks: {
      upgrade: () => ({ headers: { 'x-crossws': 'yes' }, ...(perMessageDeflate ? { perMessageDeflate: true } : {}) }),
      open: (peer) => { peer.send(`welcome ${peer.remoteAddress}`); },
      message: (peer, message) => { peer.send(`echo ${message.text()}`); },
      close: (_peer, details) => { closes.push(details.code ?? 0); },
    },
  });
  http = createServer();
  http.on('upgrade', (req, socket, head) => void adapter.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/_ws`, closes };
}

describe.each([false, true])('crossws node adapter with { wss: wasmws/ws } (perMessageDeflate %s)', (deflate) => {
  it('opens, echoes, reports the peer address, and closes with the code', async () => {
    const { url, closes } = await start(deflate);
    const client = new RealWebSocket(url);
    const messages: string[] = [];
    client.on('message', (data) => messages.push(data.toString()));
    await once(client, 'open');
    expect(client.extensions).toBe(deflate ? 'permessage-deflate' : '');
    client.send('hi');
    for (let i = 0; i < 100 && messages.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(messages).toEqual(['welcome 127.0.0.1', 'echo hi']);
    client.close(4005);
    for (let i = 0; i < 100 && closes.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(closes).toEqual([4005]);
  });

  it('puts the upgrade hook\'s headers in the 101', async () => {
    const { url } = await start(deflate);
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = get(url.replace('ws', 'http'), {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (res, socket: Socket) => { socket.destroy(); resolve(res.headers); });
      req.on('error', reject);
    });
    expect(headers['x-crossws']).toBe('yes');
  });
});
