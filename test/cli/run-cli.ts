import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// The built CLI (dist/cli.js, made by `npm run build`), run as a user would.
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const children: ChildProcessWithoutNullStreams[] = [];

/** A running CLI: its output so far (stdout and stderr apart), a waiter on it, its exit code. */
export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  waitFor: (re: RegExp) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

/** Starts `wasmws ...args`; killCliChildren() ends whatever is still running. */
export function runCli(args: string[]): CliRun {
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', CLI, ...args]);
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 200; i++) {
      const m = re.exec(out + err);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${re}; stdout: ${out}; stderr: ${err}`);
  };
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** Kills every CLI still running (call in afterEach). */
export function killCliChildren(): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
}

/** A TCP port that was free a moment ago on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
