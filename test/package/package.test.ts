import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerTypeChecker, type TypeCheck } from './typecheck';

// The package as a user gets it: `npm pack` of the dist/ that `npm test` has just built,
// installed with npm into an empty project outside the repository (wasmws has no runtime
// dependencies, so --offline works). That project holds only the package, @types/node
// (symlinked from the repository, where a user would install it) and the fixtures here; the
// repository's TypeScript checks them with skipLibCheck off, so every published declaration
// is checked, and Node runs what it emits.
const root = join(__dirname, '..', '..');
const FIXTURES = ['consumer.mts', 'consumer.cts', 'ws-consumer.mts', 'ws-consumer.cts', 'bundler.mts', 'codec-only.mts'];

// What a user's strict project sets; lib without DOM, so Node's types must suffice.
const strict = {
  strict: true,
  skipLibCheck: false,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  target: 'es2022',
  lib: ['es2022'],
  // TypeScript 6 includes no @types by default.
  types: ['node'],
};
const PROJECTS = {
  // Emits consumer.mjs and consumer.cjs, which the run tests below start.
  nodenext: { compilerOptions: { ...strict, module: 'nodenext' }, files: ['consumer.mts', 'consumer.cts', 'ws-consumer.mts', 'ws-consumer.cts'], emit: true },
  // node16 has no require(ESM): a require() typed by ESM declarations is an error there.
  node16: { compilerOptions: { ...strict, module: 'node16' }, files: ['consumer.mts', 'consumer.cts', 'ws-consumer.mts', 'ws-consumer.cts'], emit: false },
  bundler: { compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler' }, files: ['bundler.mts'], emit: false },
  codecOnly: { compilerOptions: { ...strict, module: 'nodenext', types: [] }, files: ['codec-only.mts'], emit: false },
};

/** What consumer.mts and consumer.cts print after "esm " / "cjs ". */
const ECHOED = 'header=2 text=true | hello deflate deflate=true close=1000 | hello plain deflate=false close=1000 | rejected=WS_ERR_HANDSHAKE 404';

let dir = '';
let packed: { path: string }[] = [];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const checks = {} as Record<keyof typeof PROJECTS, TypeCheck>;
/** The entry declarations among a check's files (the shared-* chunks they import left out). */
const entries = (check: TypeCheck) => check.declarations.filter((f) => !f.startsWith('shared-'));

/** Runs `file` with `args` in the consumer project; resolves with its exit code (1 when killed) and stdout + stderr. */
function run(file: string, args: string[], timeout = 20_000): Promise<{ code: number; out: string }> {
  // The bin's `#!/usr/bin/env node` finds the node running this test.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  return new Promise((resolve) => {
    execFile(file, args, { cwd: dir, env, timeout, encoding: 'utf8' }, (err, stdout, stderr) => {
      const killed = err?.killed ? `killed after ${timeout} ms` : '';
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}${killed}`.trim() });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmws-package-'));
  const [report] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  packed = report.files;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, report.filename)], { cwd: dir, stdio: 'pipe' });
  mkdirSync(join(dir, 'node_modules', '@types'));
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  for (const file of FIXTURES) cpSync(join(__dirname, file), join(dir, file));
  const checker = new ConsumerTypeChecker(dir);
  for (const [name, project] of Object.entries(PROJECTS)) {
    checks[name as keyof typeof PROJECTS] = checker.check(project.compilerOptions, project.files, project.emit);
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every file path a package.json field or an "exports" condition names. */
function targets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}

describe('the packed package', () => {
  it('holds dist/, package.json and the README, and every file package.json names', () => {
    const files = packed.map((f) => f.path);
    expect(files.filter((f) => !/^(dist\/[\w-]+\.(js|cjs|d\.ts|d\.cts)|package\.json|README\.md|LICENSE)$/.test(f))).toEqual([]);
    const named = [pkg.main, pkg.module, pkg.types, ...targets(pkg.bin), ...targets(pkg.exports)];
    expect(named.map((f: string) => f.replace(/^\.\//, '')).filter((f) => !files.includes(f))).toEqual([]);
  });

  it('gives each subpath import and require files, each with types of its own format first', () => {
    for (const [subpath, conditions] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      const name = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-'); // ./ws/register: ws-register
      expect(conditions, subpath).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
      for (const branch of Object.values(conditions as Record<string, object>)) expect(Object.keys(branch)[0]).toBe('types');
    }
  });

  it('type-checks in an ESM and a CommonJS consumer under module nodenext, strict, each with its own declarations', () => {
    expect(checks.nodenext.errors).toBe('');
    expect(entries(checks.nodenext)).toEqual([
      'codec.d.cts', 'codec.d.ts', 'hub.d.cts', 'hub.d.ts', 'index.d.cts', 'index.d.ts',
      'ws-exports.d.cts', 'ws-register.d.cts', 'ws-register.d.ts', 'ws.d.cts', 'ws.d.ts',
    ]);
  });

  it('type-checks under module node16, where require() needs CommonJS declarations (.d.cts)', () => {
    expect(checks.node16.errors).toBe('');
  });

  it('type-checks under moduleResolution bundler, strict', () => {
    expect(checks.bundler.errors).toBe('');
    expect(entries(checks.bundler)).toEqual(['codec.d.cts', 'codec.d.ts', 'hub.d.ts', 'index.d.cts', 'index.d.ts', 'ws-exports.d.cts', 'ws-register.d.ts', 'ws.d.cts', 'ws.d.ts']);
  });

  it('wasmws/codec type-checks without @types/node and without the DOM lib', () => {
    expect(checks.codecOnly.errors).toBe('');
    expect(entries(checks.codecOnly)).toEqual(['codec.d.ts']);
  });

  it('runs as an ES module: serve, dial, echo through the hub (deflate on and off), close', async () => {
    expect(checks.nodenext.errors).toBe('');
    expect(await run(process.execPath, ['consumer.mjs'])).toEqual({ code: 0, out: `esm ${ECHOED}` });
  });

  it('runs bundled by a bundler that trusts its "sideEffects": false', async () => {
    expect(checks.nodenext.errors).toBe('');
    // node-resolve passes the package's sideEffects to rollup, which then drops every module
    // whose exports go unused: a module that had to run for its effects would be lost.
    const bundle = await rollup({ input: join(dir, 'consumer.mjs'), external: [/^node:/, 'redis'], plugins: [nodeResolve()], logLevel: 'silent' });
    await bundle.write({ file: join(dir, 'bundled.mjs'), format: 'esm' });
    await bundle.close();
    expect(readFileSync(join(dir, 'bundled.mjs'), 'utf8')).not.toMatch(/from ['"]wasmws/);
    expect(await run(process.execPath, ['bundled.mjs'])).toEqual({ code: 0, out: `esm ${ECHOED}` });
  });

  it('runs as CommonJS through require()', async () => {
    expect(checks.nodenext.errors).toBe('');
    expect(readFileSync(join(dir, 'consumer.cjs'), 'utf8')).toContain('require("wasmws")');
    expect(await run(process.execPath, ['consumer.cjs'])).toEqual({ code: 0, out: `cjs ${ECHOED}` });
  });

  it('runs wasmws/ws as an ES module: ws\'s code with the import changed, and the `ws` switch', async () => {
    expect(checks.nodenext.errors).toBe('');
    expect(await run(process.execPath, ['ws-consumer.mjs'])).toEqual({
      code: 0, out: 'esm ws hello permessage-deflate close=1000 states=0123 server=true stream=function switch=true',
    });
  });

  it('runs wasmws/ws through require(): module.exports is ws 8\'s shape', async () => {
    expect(checks.nodenext.errors).toBe('');
    expect(readFileSync(join(dir, 'ws-consumer.cjs'), 'utf8')).toContain('require("wasmws/ws")');
    expect(await run(process.execPath, ['ws-consumer.cjs'])).toEqual({ code: 0, out: 'cjs ws hello none close=1000 shape=true switch=true' });
  });

  it('installs its bin: node_modules/.bin/wasmws --help', async () => {
    const { code, out } = await run(join(dir, 'node_modules', '.bin', 'wasmws'), ['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: wasmws <command>/);
  });

  it('loads nothing at run time but node: built-ins and the optional peer redis (devDependencies are bundled)', () => {
    const distDir = join(dir, 'node_modules', 'wasmws', 'dist');
    const bare = new Set<string>();
    for (const file of readdirSync(distDir).filter((f) => /\.c?js$/.test(f))) {
      const source = readFileSync(join(distDir, file), 'utf8');
      for (const [, spec] of source.matchAll(/(?:\bfrom\s*|(?<!['"])\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)) {
        if (!spec!.startsWith('.') && !spec!.startsWith('node:')) bare.add(spec!);
      }
    }
    expect([...bare]).toEqual(['redis']);
    expect(pkg.peerDependenciesMeta.redis.optional).toBe(true);
    expect(pkg.dependencies).toBeUndefined();
  });
});
