// The complete programs in examples/ (beside the chat, which has its own tests), each run
// as a user would after `npm run build`: its TypeScript stripped of types, 'wasmws' pointed
// at dist/, in a child node on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { serve, type WebSocketServer } from '../../src/server';
import { freePort, REPO, runModule, toRunnableModule, writeModule } from '../docs/snippet';

function example(name: string): string {
  return toRunnableModule(readFileSync(join(REPO, 'examples', name), 'utf8'), 'ts');
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a long-running example; resolves with the first stdout line matching `ready`. */
interface Started {
  child: ChildProcess;
  match: RegExpMatchArray;
  /** Everything it printed so far. */
  output(): string;
}

function start(name: string, env: Record<string, string>, ready: RegExp, args: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [writeModule(`example-${name}`, example(name)), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let isReady = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = isReady ? null : ready.exec(out);
      if (match) { isReady = true; resolve({ child, match, output: () => out }); }
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => reject(new Error(`${name} exited ${code} before it was ready:\n${out}\n${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('examples/', () => {
  it('echo-server.ts echoes text and binary and stops on SIGTERM', async () => {
    const { child, match } = await start('echo-server.ts', { PORT: '0' }, /listening on (ws:\/\/\S+)/);
    const conn = await dial(`${match[1]}/`);
    await conn.send('hello');
    expect((await conn.read()).text()).toBe('hello');
    await conn.send(new Uint8Array([1, 2, 3]));
    const binary = await conn.read();
    expect([binary.type, [...binary.data]]).toEqual(['binary', [1, 2, 3]]);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    await expect(conn.closed).resolves.toMatchObject({ code: 1001 });
  }, 20_000);

  it('reconnecting-client.ts waits for a server with backoff, and reconnects after it goes', async () => {
    const port = await freePort();
    const received: string[] = [];
    const echo = (): Promise<WebSocketServer> => serve({ port, host: '127.0.0.1' }, async (conn) => {
      for await (const msg of conn) { received.push(msg.text()); await conn.send(msg.text()); await conn.close(1000); }
    });
    // No server yet: the client's first dial fails and it backs off; the server comes then.
    const client = await start('reconnecting-client.ts', {}, /dial failed.*\nretrying in \d+ ms/, [`ws://127.0.0.1:${port}/`, '2']);
    const server = await echo();
    try {
      expect(await exited(client.child)).toBe(0);
      const stdout = client.output();
      expect(stdout).toContain('< hello from session 1');
      expect(stdout).toContain('< hello from session 2');
      expect(stdout.match(/^connected$/gm)).toHaveLength(2);
      expect(received).toEqual(['hello from session 1', 'hello from session 2']);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('broadcast.ts delivers every prepared message to every client, in order', async () => {
    const result = await runModule('example-broadcast', example('broadcast.ts'), 20_000, { CLIENTS: '50' });
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('50 clients got 150 messages, in order');
  }, 25_000);

  it('socketio-server.ts serves socket.io over wasmws/ws', async () => {
    const { child, match } = await start('socketio-server.ts', { PORT: '0' }, /listening on (http:\/\/\S+)/);
    const client = io(match[1]!, { transports: ['websocket'], reconnection: false });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        client.on('connect_error', reject);
        client.on('chat', resolve);
        client.on('connect', () => client.emit('chat', 'hi'));
      });
      expect(reply).toMatch(/: hi$/);
    } finally {
      client.close();
    }
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 20_000);
});
