// The package entry `wasmws/ws` from dist/ (built by `npm run build`), copied outside the
// repository with ws 8 beside it: `require('wasmws/ws')` has the shape of `require('ws')`
// (module.exports is the WebSocket class, the rest attached) and the ESM entry has a default
// export plus the same named exports.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmws-ws-entry-'));
  cpSync(join(root, 'dist'), join(dir, 'node_modules', 'wasmws', 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'node_modules', 'wasmws', 'package.json'));
  cpSync(join(root, 'node_modules', 'ws'), join(dir, 'node_modules', 'ws'), { recursive: true });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(file: string, source: string): unknown {
  writeFileSync(join(dir, file), source);
  return JSON.parse(execFileSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' }));
}

// What an application can see of a module: each export's type, and the statics it feature-tests.
const describeModule = `
  function shape(m) {
    const out = {};
    for (const name of ['WebSocket', 'WebSocketServer', 'createWebSocketStream', 'Sender', 'Receiver']) out[name] = typeof m[name];
    out.moduleIsWebSocket = m === m.WebSocket || m.default === m.WebSocket;
    out.serverAlias = m.Server === m.WebSocketServer || m.Server === undefined; // ws's ESM has no Server
    out.esmExtras = ['extension', 'subprotocol', 'PerMessageDeflate'].map((name) => m.default === undefined || typeof m[name]);
    out.constants = [m.WebSocket.CONNECTING, m.WebSocket.OPEN, m.WebSocket.CLOSING, m.WebSocket.CLOSED];
    out.prototypeConstants = [m.WebSocket.prototype.CONNECTING, m.WebSocket.prototype.OPEN, m.WebSocket.prototype.CLOSING, m.WebSocket.prototype.CLOSED];
    out.emitter = typeof m.WebSocket.prototype.on === 'function' && typeof m.WebSocketServer.prototype.on === 'function';
    return out;
  }
`;

describe('wasmws/ws entry', () => {
  it('require() gives ws 8\'s shape', () => {
    const result = run('shape.cjs', `${describeModule}
      console.log(JSON.stringify({ ours: shape(require('wasmws/ws')), ws: shape(require('ws')), exportsIsClass: typeof require('wasmws/ws') === 'function' }));`) as Record<string, unknown>;
    expect(result.ours).toEqual(result.ws);
    expect(result.exportsIsClass).toBe(true);
  });

  it('import gives a default export and the same named exports as ws\'s ESM wrapper', () => {
    const result = run('shape.mjs', `${describeModule}
      import * as ours from 'wasmws/ws'; import * as ws from 'ws';
      import Default from 'wasmws/ws';
      console.log(JSON.stringify({ ours: shape(ours), ws: shape(ws), defaultIsWebSocket: Default === ours.WebSocket }));`) as Record<string, unknown>;
    expect(result.ours).toEqual(result.ws);
    expect(result.defaultIsWebSocket).toBe(true);
  });

  it('has Sender and Receiver without ws\'s internals: Sender.frame is absent (libraries fall back), constructing names it', () => {
    const result = run('sender.cjs', `
      const { Sender, Receiver } = require('wasmws/ws');
      let message = '';
      try { new Sender(); } catch (err) { message = err.message; }
      console.log(JSON.stringify({ frame: typeof Sender.frame, message, receiver: typeof Receiver }));`);
    expect(result).toEqual({ frame: 'undefined', message: expect.stringMatching(/ws\.Sender.*not supported/), receiver: 'function' });
  });

  it('runs an echo through the CommonJS entry, with ws as the client', () => {
    const result = run('echo.cjs', `
      const WebSocket = require('wasmws/ws');
      const Ws = require('ws');
      const wss = new WebSocket.Server({ port: 0 }, () => {
        const client = new Ws('ws://127.0.0.1:' + wss.address().port);
        client.on('open', () => client.send('ping'));
        client.on('message', (data) => { console.log(JSON.stringify({ echo: data.toString() })); client.close(); wss.close(); });
      });
      wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));`);
    expect(result).toEqual({ echo: 'ping' });
  });
});
