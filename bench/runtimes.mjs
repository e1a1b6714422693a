// npm run bench:runtimes — the codec bench (`wasmws bench`) under Node, Deno and Bun, one
// after the other, so a user can see what WASM buys in each engine. The end-to-end echo
// bench (bench/e2e) takes --runtime too.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli.js`;
const bin = (name) => `${root}node_modules/.bin/${name}`;
const runs = [
  ['node', process.execPath, [cli, 'bench', ...process.argv.slice(2)]],
  ['deno', bin('deno'), ['run', '-A', cli, 'bench', ...process.argv.slice(2)]],
  ['bun', bin('bun'), [cli, 'bench', ...process.argv.slice(2)]],
];
for (const [name, cmd, args] of runs) {
  console.log(`\n=== ${name} ===`);
  console.log(execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }));
}
