// webpack-dev-server, a real consumer that does `require('ws')` inside itself, on wasmws
// through the switch (`node --require wasmws/ws/register`): started from its Node API on a
// tiny project, its WebSocket server is wasmws's class; a client (the real ws package) gets
// the hot/liveReload greeting, a 'hash' and 'ok', and a file change brings a new 'hash'.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
let dir = '';

// Runs in its own process, with wasmws/ws/register preloaded; prints one JSON line.
const script = `
const path = require('node:path');
const { writeFileSync } = require('node:fs');
const root = ${JSON.stringify(root)};
const webpack = require(path.join(root, 'node_modules/webpack'));
const WebpackDevServer = require(path.join(root, 'node_modules/webpack-dev-server'));
const RealWebSocket = require(path.join(root, 'node_modules/ws')); // a path: not switched
const ours = require(path.join(root, 'dist/ws.cjs'));
const dir = __dirname;
const bail = setTimeout(() => { console.log(JSON.stringify({ error: 'timed out', messages })); process.exit(1); }, 15000);
const messages = [];
(async () => {
  const compiler = webpack({ mode: 'development', context: dir, entry: './src/index.js', output: { path: path.join(dir, 'out') }, infrastructureLogging: { level: 'error' }, stats: 'none' });
  const server = new WebpackDevServer({ host: '127.0.0.1', port: 0, hot: true, liveReload: true, static: false, webSocketServer: 'ws', client: { logging: 'none' } }, compiler);
  await server.start();
  const port = server.server.address().port;
  const implementation = server.webSocketServer.implementation;
  // As a browser does, the page's Origin goes with it: webpack-dev-server checks it.
  const client = new RealWebSocket('ws://127.0.0.1:' + port + '/ws', { origin: 'http://127.0.0.1:' + port });
  const hashes = [];
  let changed = false;
  client.on('message', (data) => {
    const message = JSON.parse(data.toString());
    messages.push(message.type);
    if (message.type === 'hash') hashes.push(message.data);
    if (message.type === 'ok' && !changed) {
      changed = true;
      writeFileSync(path.join(dir, 'src/index.js'), 'console.log("changed");\\n');
    } else if (message.type === 'ok' && hashes.length >= 2) {
      clearTimeout(bail);
      console.log(JSON.stringify({
        serverIsWasmws: implementation instanceof ours.WebSocketServer && implementation.constructor === require('ws').Server,
        clientIsReal: !(client instanceof ours.WebSocket),
        messages, hashes,
      }));
      client.close();
      server.stop().then(() => process.exit(0));
    }
  });
})().catch((err) => { console.log(JSON.stringify({ error: String(err && err.stack || err), messages })); process.exit(1); });
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmws-wds-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.js'), 'console.log("first");\n');
  writeFileSync(join(dir, 'run.cjs'), script);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('webpack-dev-server on wasmws/ws (through wasmws/ws/register)', () => {
  it('serves its hot/liveReload channel on wasmws: greeting, hash, ok, and a new hash after a file change', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--require', join(root, 'dist', 'ws-register.cjs'), join(dir, 'run.cjs')], { cwd: dir, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err && !stdout) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const result = JSON.parse(output.trim().split('\n').pop()!);
    expect(result.error).toBeUndefined();
    expect(result.serverIsWasmws).toBe(true);
    expect(result.clientIsReal).toBe(true);
    expect(result.messages.slice(0, 2)).toEqual(['hot', 'liveReload']);
    expect(result.messages).toContain('invalid'); // the change was seen
    expect(result.hashes).toHaveLength(2);
    expect(result.hashes[0]).not.toBe(result.hashes[1]);
    expect(result.messages.filter((type: string) => type === 'ok')).toHaveLength(2);
  }, 25_000);
});
