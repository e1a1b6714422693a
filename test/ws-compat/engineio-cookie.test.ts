// A cookie set the way socket.io documents it (`io.engine.on('initial_headers', …)`), which
// engine.io passes on through the WebSocketServer's `headers` event: with
// `transports: ['websocket']` the 101 is the only response, so the cookie must be in it.
// The same scenario runs with ws as the engine, to show the responses match.
import { createServer, get, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attach, type Server as EngineServer } from 'engine.io';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as RealWebSocketServer } from 'ws';
import { WebSocketServer } from '../../src/ws/index';

let engine: EngineServer | undefined;
let http: HttpServer | undefined;
afterEach(async () => {
  engine?.close();
  await new Promise<void>((resolve) => { http?.closeAllConnections(); http ? http.close(() => resolve()) : resolve(); });
  engine = undefined;
  http = undefined;
});

describe.each([['wasmws/ws', WebSocketServer], ['ws', RealWebSocketServer]] as const)('engine.io with %s as wsEngine', (_name, wsEngine) => {
  it('sends the initial_headers cookie in the 101', async () => {
    http = createServer();
    engine = attach(http, { wsEngine, transports: ['websocket'] });
    engine.on('initial_headers', (headers: Record<string, string>) => {
      headers['set-cookie'] = 'uid=1234; Path=/; HttpOnly; SameSite=Strict';
      headers['X-Engine'] = 'on';
    });
    const opened = new Promise<string>((resolve) => engine!.on('connection', (socket) => resolve(socket.id)));
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    const response = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = get(`http://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode!, headers: res.headers }); });
      req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode!, headers: res.headers }); });
      req.on('error', reject);
    });
    await opened;
    expect(response.status).toBe(101);
    expect(response.headers['set-cookie']).toEqual(['uid=1234; Path=/; HttpOnly; SameSite=Strict']);
    expect(response.headers['x-engine']).toBe('on');
    expect((engine as unknown as { ws: unknown }).ws).toBeInstanceOf(wsEngine);
  });
});
