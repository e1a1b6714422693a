// dist/: ESM (.js) and CommonJS (.cjs) for `wasmws` and `wasmws/codec`, their .d.ts, and
// the CLI. The .wasm bytes arrive through src/codec/wasm/binary.ts (base64), so every output
// file is self-contained: nothing is looked up on disk or over the network at run time.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const entries = { index: 'src/index.ts', codec: 'src/codec/index.ts' };
const nodeBuiltins = /^node:/;

const ts = () => typescript({ tsconfig: './tsconfig.build.json', outputToFilesystem: false });

export default [
  {
    input: entries,
    external: nodeBuiltins,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'shared-[hash].js' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'shared-[hash].cjs' },
    ],
  },
  {
    // The CLI (and the bench kit bench/*.mjs import) bundle tinybench, the one
    // devDependency they use, so the package keeps no runtime dependencies.
    input: { cli: 'src/cli/main.ts', bench: 'src/bench/index.ts' },
    external: nodeBuiltins,
    plugins: [nodeResolve(), ts()],
    output: { dir: 'dist', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'cli-[hash].js', banner: '#!/usr/bin/env node' },
  },
  {
    input: entries,
    external: nodeBuiltins,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { dir: 'dist', format: 'esm', entryFileNames: '[name].d.ts', chunkFileNames: 'shared-[hash].d.ts' },
  },
];
