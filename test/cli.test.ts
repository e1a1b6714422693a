import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../src/client';
import { serve } from '../src/server';

// The built CLI (dist/cli.js, made by `npm test`'s build step), run as a user would.
const CLI = join(__dirname, '..', 'dist', 'cli.js');
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => { for (const c of children.splice(0)) c.kill('SIGKILL'); });

function run(args: string[]): { child: ChildProcessWithoutNullStreams; output: () => string; waitFor: (re: RegExp) => Promise<RegExpExecArray>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args]);
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 200; i++) {
      const m = re.exec(out);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${re}; output: ${out}`);
  };
  return { child, output: () => out, waitFor, exited };
}

describe('wasmws CLI', () => {
  it('echo: prints its address, echoes text and binary, exits cleanly on SIGTERM', async () => {
    const echo = run(['echo', '--port', '0', '--codec', 'wasm']);
    const [, url] = await echo.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)/);
    const conn = await dial(url);
    await conn.send('hi');
    expect((await conn.read()).text()).toBe('hi');
    await conn.send(new Uint8Array([1, 2, 3]));
    const m = await conn.read();
    expect([m.type, [...m.data]]).toEqual(['binary', [1, 2, 3]]);
    echo.child.kill('SIGTERM');
    expect(await conn.closed).toMatchObject({ code: 1001 });
    expect(await echo.exited).toBe(0);
  });

  it('connect: sends lines, prints messages, handles /ping and /close', async () => {
    const server = await serve({ port: 0 }, async (c) => {
      try { for await (const m of c) await c.send(`echo:${m.text()}`); } catch { /* closed */ }
    });
    const client = run(['connect', `ws://127.0.0.1:${server.address().port}/`, '-H', 'X-Test: 1']);
    await client.waitFor(/connected/);
    client.child.stdin.write('hello\n');
    await client.waitFor(/< echo:hello/);
    client.child.stdin.write('/ping\n');
    await client.waitFor(/pong in [\d.]+ ms/);
    client.child.stdin.write('/close 4000 done\n');
    await client.waitFor(/closed 4000/);
    expect(await client.exited).toBe(0);
    await server.close({ timeoutMs: 200 });
  });

  it('autobahn-client: counts cases, echoes each, updates reports', async () => {
    const log: string[] = [];
    const fuzzing = await serve({ port: 0 }, async (c) => {
      const url = c.request!.url;
      log.push(url.split('?')[0]);
      if (url.startsWith('/getCaseCount')) { await c.send('2'); await c.close(); return; }
      if (url.startsWith('/runCase')) {
        await c.send(`case ${url}`);
        log.push(`echo ${(await c.read()).text()}`);
        await c.close();
        return;
      }
      await c.close();
    });
    const client = run(['autobahn-client', `ws://127.0.0.1:${fuzzing.address().port}`, '--agent', 'test-agent']);
    expect(await client.exited).toBe(0);
    expect(client.output()).toContain('reports updated for test-agent');
    expect(log).toEqual([
      '/getCaseCount',
      '/runCase', 'echo case /runCase?case=1&agent=test-agent',
      '/runCase', 'echo case /runCase?case=2&agent=test-agent',
      '/updateReports',
    ]);
    await fuzzing.close({ timeoutMs: 200 });
  });
});
