// Runs documentation code against the built package: TypeScript is stripped of its types
// (typescript's transpileModule), imports of 'wasmws' (and 'npm:wasmws', and the subpaths)
// are pointed at dist/ as the package's exports name them, and the result runs as an ES
// module in a child `node` with a deadline.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

export const REPO = resolve(dirname(new URL(import.meta.url).pathname), '../..');
/** Where the runnable copies go: inside the repository, so bare imports (socket.io, ...) resolve. */
const WORK_DIR = join(REPO, 'node_modules', '.cache', 'wasmws-docs');

type Exports = Record<string, { import: { default: string } } | string>;

/** 'wasmws', 'wasmws/ws', ... → file URL of the ESM build, from package.json's exports. */
function distUrls(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Exports };
  const urls = new Map<string, string>();
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    const file = join(REPO, target.import.default);
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
    urls.set(sub === '.' ? 'wasmws' : `wasmws${sub.slice(1)}`, pathToFileURL(file).href);
  }
  return urls;
}

/** Strips types (for ts) and points the package's imports at dist/. */
export function toRunnableModule(source: string, lang: string): string {
  const js = lang === 'ts' || lang === 'typescript'
    ? ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    }).outputText
    : source;
  const urls = distUrls();
  return js.replace(/(from\s+|import\s*\(\s*|import\s+)(['"])(?:npm:)?(wasmws(?:\/[\w/-]+)?)\2/g, (_whole, lead: string, quote: string, name: string) => {
    const url = urls.get(name);
    if (!url) throw new Error(`no export for ${name}`);
    return `${lead}${quote}${url}${quote}`;
  });
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The result of one run. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Writes `module` to a file named after `name` (in the repository, so bare imports resolve); returns its path. */
export function writeModule(name: string, module: string): string {
  mkdirSync(WORK_DIR, { recursive: true });
  const file = join(WORK_DIR, `${name.replace(/[^\w.-]+/g, '_')}.mjs`);
  writeFileSync(file, module);
  return file;
}

/** Writes `module` and runs it with node, killed after `timeoutMs`. */
export function runModule(name: string, module: string, timeoutMs: number, env: Record<string, string> = {}, args: string[] = []): Promise<RunResult> {
  const file = writeModule(name, module);
  return new Promise((resolveRun) => {
    execFile(process.execPath, [file, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolveRun({
        code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}
