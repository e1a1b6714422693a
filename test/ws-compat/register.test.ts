// The `ws` switch: `node --import wasmws/ws/register` (or --require) makes packages that use
// ws inside themselves get wasmws/ws, through import and require alike, with node_modules
// untouched. Run from dist/ in a copy outside the repository, beside the real ws package.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
let dir = '';

function pkg(name: string, files: Record<string, string>, type: 'module' | 'commonjs'): void {
  const at = join(dir, 'node_modules', name);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name, version: '1.0.0', type, main: Object.keys(files)[0] }));
  for (const [file, source] of Object.entries(files)) writeFileSync(join(at, file), source);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmws-ws-register-'));
  cpSync(join(root, 'dist'), join(dir, 'node_modules', 'wasmws', 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'node_modules', 'wasmws', 'package.json'));
  cpSync(join(root, 'node_modules', 'ws'), join(dir, 'node_modules', 'ws'), { recursive: true });
  // Two consumers that use ws inside themselves, one CommonJS and one ESM.
  pkg('uses-ws-cjs', { 'index.js': "const WebSocket = require('ws'); module.exports = { WebSocket, Server: WebSocket.Server };" }, 'commonjs');
  pkg('uses-ws-esm', { 'index.js': "import WebSocket, { WebSocketServer } from 'ws'; export { WebSocket, WebSocketServer };" }, 'module');
  writeFileSync(join(dir, 'main.mjs'), `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const ours = require('wasmws/ws');
    const cjs = require('uses-ws-cjs');
    const esm = await import('uses-ws-esm');
    const viaImport = (await import('ws')).default;
    const oursEsm = await import('wasmws/ws');
    console.log(JSON.stringify({
      cjs: cjs.WebSocket === ours,
      esm: esm.WebSocketServer === oursEsm.WebSocketServer,
      importWs: viaImport === oursEsm.default,
      requireWs: require('ws') === ours,
    }));`);
  writeFileSync(join(dir, 'main.cjs'), `
    const ours = require('wasmws/ws');
    console.log(JSON.stringify({ cjs: require('uses-ws-cjs').WebSocket === ours, requireWs: require('ws') === ours }));`);
  writeFileSync(join(dir, 'serve.cjs'), `
    // A server made by a package's own require('ws'), talking to a client: it is wasmws's.
    const { Server } = require('uses-ws-cjs');
    const wss = new Server({ port: 0 }, () => {
      const client = new (require('ws'))('ws://127.0.0.1:' + wss.address().port);
      client.on('message', (data) => { console.log(JSON.stringify({ got: data.toString(), serverIsWasmws: wss.constructor === require('wasmws/ws').Server })); client.close(); wss.close(); });
    });
    wss.on('connection', (ws) => ws.send('hi'));`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function node(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' }));
}

describe('wasmws/ws/register', () => {
  it('--import switches ws for import and require, in ESM and CommonJS packages', () => {
    expect(node(['--import', 'wasmws/ws/register', 'main.mjs'])).toEqual({ cjs: true, esm: true, importWs: true, requireWs: true });
  });

  it('--require switches ws for a CommonJS application', () => {
    expect(node(['--require', 'wasmws/ws/register', 'main.cjs'])).toEqual({ cjs: true, requireWs: true });
  });

  it('without it, ws is the real package', () => {
    expect(node(['main.mjs'])).toEqual({ cjs: false, esm: false, importWs: false, requireWs: false });
  });

  it('a package\'s own ws server runs on wasmws under the switch', () => {
    expect(node(['--require', 'wasmws/ws/register', 'serve.cjs'])).toEqual({ got: 'hi', serverIsWasmws: true });
  });
});
