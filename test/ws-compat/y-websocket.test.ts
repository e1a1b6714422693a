// y-websocket's server (bin/server.js, which does require('ws') itself) run unchanged under
// the switch `node --require wasmws/ws/register`; two Yjs clients, one on wasmws/ws's
// WebSocket and one on ws's, edit one document through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RealWebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';
import { WebSocket } from '../../src/ws/index';

const root = join(__dirname, '..', '..');
const serverJs = join(root, 'node_modules', 'y-websocket', 'bin', 'server.js');
const require = createRequire(import.meta.url);
// CommonJS builds of both, so that they share one copy of yjs.
const Y = require('yjs') as typeof import('yjs');
const { WebsocketProvider } = require('y-websocket') as typeof import('y-websocket');

let server: ChildProcess | undefined;
const providers: { destroy(): void }[] = [];
afterEach(() => {
  for (const p of providers.splice(0)) p.destroy();
  server?.kill();
  server = undefined;
});

/** Starts y-websocket's server; resolves with what `ws` resolved to inside it. */
async function startServer(port: number): Promise<string> {
  // A second preload reports which file y-websocket's own require('ws') gets.
  const probe = join(mkdtempSync(join(tmpdir(), 'wasmws-y-')), 'probe.cjs');
  writeFileSync(probe, `const r = require('module').createRequire(${JSON.stringify(serverJs)}); process.stdout.write('ws=' + r.resolve('ws') + '\\n');`);
  server = spawn(process.execPath, ['--require', join(root, 'dist', 'ws-register.cjs'), '--require', probe, serverJs], {
    cwd: root, env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    server!.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('running at')) resolve(/ws=(.*)\n/.exec(out)?.[1] ?? '');
    });
    server!.stderr!.on('data', (chunk) => { out += chunk; });
    server!.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

function synced(provider: { synced: boolean; once(event: string, cb: () => void): void }): Promise<void> {
  return provider.synced ? Promise.resolve() : new Promise((resolve) => provider.once('synced', () => resolve()));
}

describe('y-websocket server under wasmws/ws/register', () => {
  it('resolves its require(\'ws\') to wasmws/ws and syncs a document between two clients', async () => {
    const port = await freePort();
    const resolved = await startServer(port);
    expect(resolved).toBe(join(root, 'dist', 'ws.cjs'));
    const url = `ws://127.0.0.1:${port}`;
    const docA = new Y.Doc();
    const docB = new Y.Doc();
    const a = new WebsocketProvider(url, 'room', docA, { WebSocketPolyfill: WebSocket as never });
    const b = new WebsocketProvider(url, 'room', docB, { WebSocketPolyfill: RealWebSocket as never });
    providers.push(a, b);
    await Promise.all([synced(a as never), synced(b as never)]);
    docA.getText('t').insert(0, 'hello from wasmws');
    for (let i = 0; i < 200 && docB.getText('t').toString() === ''; i++) await new Promise((r) => setTimeout(r, 10));
    expect(docB.getText('t').toString()).toBe('hello from wasmws');
    docB.getText('t').insert(0, 'ws says: ');
    for (let i = 0; i < 200 && !docA.getText('t').toString().startsWith('ws says'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(docA.getText('t').toString()).toBe('ws says: hello from wasmws');
  }, 15_000);
});
