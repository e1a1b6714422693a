import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built package in Node, Deno and Bun (from the `deno` and `bun` devDependencies): a
// shared suite (suite.mjs, plain ESM) run by each runtime in both roles with both codecs, a
// cross-runtime matrix, and each runtime's own WebSocket client and server (native.mjs).
const root = join(__dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface Runtime {
  name: string;
  argv: (script: string, ...args: string[]) => [string, string[]];
}

const RUNTIMES: Runtime[] = [
  { name: 'node', argv: (script, ...args) => [process.execPath, [script, ...args]] },
  { name: 'deno', argv: (script, ...args) => [bin('deno'), ['run', '-A', script, ...args]] },
  { name: 'bun', argv: (script, ...args) => [bin('bun'), [script, ...args]] },
];

let dir = '';

beforeAll(() => {
  // A project that depends on the package, as a user's would: node_modules/wasmws holds
  // dist/ and package.json; Deno resolves from it through package.json.
  dir = mkdtempSync(join(tmpdir(), 'wasmws-runtimes-'));
  cpSync(join(root, 'dist'), join(dir, 'node_modules', 'wasmws', 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'node_modules', 'wasmws', 'package.json'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', dependencies: { wasmws: '*' } }));
  for (const file of ['checks.mjs', 'suite.mjs', 'native.mjs', 'transport.mjs']) cpSync(join(__dirname, file), join(dir, file));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  // The same suite with Deno's `npm:` specifiers.
  const suite = readFileSync(join(__dirname, 'suite.mjs'), 'utf8');
  writeFileSync(join(dir, 'suite-npm.mjs'), suite.replace("from 'wasmws'", "from 'npm:wasmws'").replace("from 'wasmws/codec'", "from 'npm:wasmws/codec'"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(runtime: Runtime, script: string, args: string[], extraNodeFlags: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const [cmd, argv] = runtime.argv(join(dir, script), ...args);
  const fullArgv = runtime.name === 'node' ? [...extraNodeFlags, ...argv] : argv;
  return new Promise((resolve, reject) => {
    execFile(cmd, fullArgv, { cwd: dir, timeout: 90_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${runtime.name} ${script} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** Starts a server script and resolves with its port once it prints "PORT n". */
function startServer(runtime: Runtime, script: string, args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const [cmd, argv] = runtime.argv(join(dir, script), ...args);
  const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime.name} ${script} did not start`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) { clearTimeout(timer); resolve({ port: Number(m[1]), child }); }
    });
  });
}

describe.each(RUNTIMES)('$name', (runtime) => {
  // Deno and Bun: serve() and dial() on the runtime's own sockets (the default) and on node:net (forced).
  const transports = runtime.name === 'node' ? ['node'] : ['native', 'node'];
  it.each(transports.flatMap((t) => ['js', 'wasm'].map((codec) => [t, codec])))('passes the suite (echo, backpressure, peer gone mid-message, handshake timeout) as server and client, ws:// and wss://, transport %s, the %s codec', async (transport, codec) => {
    const out = await run(runtime, 'suite.mjs', ['self', codec, join(dir, 'cert.pem'), join(dir, 'key.pem')], [], { WASMWS_TRANSPORT: transport });
    expect(out).toMatch(new RegExp(`^OK ${runtime.name} .* self ${codec} \\+wss transport=${transport}$`));
  }, 120_000);
});

// A second, independent check of serve() and dial() on each transport (written for another
// implementation of the same feature): echo 32 B..1 MiB both compressions, a slow reader,
// a peer gone mid-message, close codes, 1002, both handshake deadlines.
describe.each([['bun', 'native'], ['bun', 'node'], ['deno', 'native'], ['deno', 'node'], ['node', 'native']] as const)('transport.mjs: %s, transport %s', (name, transport) => {
  it('echoes 32 B..1 MiB with and without compression, bounds a slow reader, ends with the right codes', async () => {
    const runtime = RUNTIMES.find((r) => r.name === name)!;
    expect(await run(runtime, 'transport.mjs', [transport])).toBe(`OK ${name} ${transport}`);
  }, 120_000);
});

it('Deno imports it as npm:wasmws too', async () => {
  expect(await run(RUNTIMES[1], 'suite-npm.mjs', ['self', 'auto'])).toMatch(/^OK deno .* self auto$/);
}, 120_000);

describe('cross-runtime matrix', () => {
  describe.each(RUNTIMES)('$name server', (server) => {
    let child: ChildProcess;
    let port = 0;
    beforeAll(async () => { ({ child, port } = await startServer(server, 'suite.mjs', ['server', 'wasm'])); }, 30_000);
    afterAll(() => { child?.kill(); });

    it.each(RUNTIMES.map((r) => [r.name, r] as const))('%s client', async (_name, client) => {
      expect(await run(client, 'suite.mjs', ['client', `ws://127.0.0.1:${port}/`, 'js'])).toMatch(/^OK /);
    }, 120_000);
  });
});

describe('each runtime\'s own WebSocket', () => {
  let child: ChildProcess;
  let port = 0;
  beforeAll(async () => { ({ child, port } = await startServer(RUNTIMES[0], 'suite.mjs', ['server', 'auto'])); }, 30_000);
  afterAll(() => { child?.kill(); });

  it.each([
    ['node (undici, --experimental-websocket)', RUNTIMES[0], /extensions="permessage-deflate/],
    ['deno', RUNTIMES[1], /extensions=""/],
    ['bun', RUNTIMES[2], /extensions="permessage-deflate/],
  ] as const)('%s global WebSocket against our server', async (_name, runtime, extensions) => {
    const out = await run(runtime, 'native.mjs', ['client', `ws://127.0.0.1:${port}/`], ['--experimental-websocket']);
    expect(out).toMatch(/^OK .* native client/);
    expect(out).toMatch(extensions);
  }, 60_000);

  it.each([
    ['Deno.serve + Deno.upgradeWebSocket', RUNTIMES[1], ['compression-optional']],
    ['Bun.serve', RUNTIMES[2], []],
  ] as const)('our client against %s', async (_name, runtime, extra) => {
    const native = await startServer(runtime, 'native.mjs', ['server']);
    try {
      expect(await run(RUNTIMES[0], 'suite.mjs', ['client', `ws://127.0.0.1:${native.port}/`, 'wasm', ...extra])).toMatch(/^OK /);
    } finally {
      native.child.kill();
    }
  }, 120_000);
});
