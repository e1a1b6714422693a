// dist/: ESM (.js) and CommonJS (.cjs) for `wasmws`, `wasmws/codec` and `wasmws/hub`, their
// .d.ts and .d.cts, and the CLI. The .wasm bytes arrive through src/codec/wasm/binary.ts
// (base64), so every output file is self-contained: nothing is looked up on disk or over
// the network at run time. test/package/ installs the packed package and checks all of it.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { readFileSync, rmSync } from 'node:fs';
import { dts } from 'rollup-plugin-dts';

/** `import text from './file.html?raw'`: the file's contents as a string (as vite does). */
const raw = () => ({
  name: 'raw',
  resolveId: (id, importer) => (id.endsWith('?raw') ? new URL(id, `file://${importer}`).pathname + '?raw' : null),
  load: (id) => (id.endsWith('?raw') ? `export default ${JSON.stringify(readFileSync(id.slice(0, -4), 'utf8'))};` : null),
});

// Every build starts from an empty dist/, so no stale chunk from an earlier build ships.
rmSync('dist', { recursive: true, force: true });

const entries = { index: 'src/index.ts', codec: 'src/codec/index.ts', hub: 'src/hub/index.ts', ws: 'src/ws/index.ts' };

// `require('wasmws/ws')` must be ws 8's shape: the WebSocket class is module.exports and the
// rest hangs off it. Rollup's CJS output of src/ws/index.ts has named exports, so it becomes
// ws-exports.cjs, and ws.cjs is this wrapper over it (sharing the chunks of index.cjs).
const wsCjsWrapper = () => ({
  name: 'ws-cjs-wrapper',
  generateBundle() {
    // The `ws` switch (wasmws/ws/register): plain files, next to ws.js and ws.cjs.
    for (const [source, fileName] of [['register.mjs', 'ws-register.js'], ['register.cjs', 'ws-register.cjs'], ['resolve.mjs', 'ws-resolve.js'], ['register.d.ts', 'ws-register.d.ts'], ['register.d.ts', 'ws-register.d.cts']]) {
      this.emitFile({ type: 'asset', fileName, source: readFileSync(`src/ws/register/${source}`, 'utf8') });
    }
    this.emitFile({
      type: 'asset',
      fileName: 'ws.cjs',
      source: [
        "'use strict';",
        '// ws 8\'s CommonJS shape: module.exports is the WebSocket class, the rest hangs off it.',
        "const ws = require('./ws-exports.cjs');",
        'const WebSocket = ws.WebSocket;',
        'for (const name of [\'WebSocket\', \'WebSocketServer\', \'createWebSocketStream\', \'Sender\', \'Receiver\']) WebSocket[name] = ws[name];',
        'WebSocket.Server = ws.WebSocketServer;',
        'module.exports = WebSocket;',
        '',
      ].join('\n'),
    });
  },
});
// The CommonJS types of `require('wasmws/ws')`, as @types/ws declares ws 8: `export =` the
// WebSocket class, merged with a namespace that holds the rest. The generated declarations
// (named exports, as ws-exports.cjs has them) become ws-exports.d.cts, under this file.
const wsCjsTypes = () => ({
  name: 'ws-cjs-types',
  generateBundle() {
    this.emitFile({
      type: 'asset',
      fileName: 'ws.d.cts',
      source: [
        "// ws 8's CommonJS shape: module.exports is the WebSocket class, the rest hangs off it.",
        "import * as ws from './ws-exports.cjs';",
        '/** ws\'s WebSocket (see wasmws/ws): module.exports of `require(\'wasmws/ws\')`. */',
        'declare class WebSocket extends ws.WebSocket {}',
        'declare namespace WebSocket {',
        '  export import WebSocket = ws.WebSocket;',
        '  export import WebSocketServer = ws.WebSocketServer;',
        '  export import Server = ws.WebSocketServer;',
        '  export import createWebSocketStream = ws.createWebSocketStream;',
        '  export import Sender = ws.Sender;',
        '  export import Receiver = ws.Receiver;',
        ...['ClientOptions', 'PerMessageDeflateOptions', 'SendCallback', 'ServerOptions', 'VerifyClient', 'VerifyClientInfo', 'WsBinaryType', 'WsSendOptions', 'WsCloseEvent', 'WsErrorEvent', 'WsEvent', 'WsMessageEvent']
          .map((name) => `  export type ${name} = ws.${name};`),
        '}',
        'export = WebSocket;',
        '',
      ].join('\n'),
    });
  },
});
// node: built-ins, and `redis` (an optional peer dependency, loaded only by RedisBroker).
const external = [/^node:/, 'redis'];

const ts = () => typescript({ tsconfig: './tsconfig.build.json', outputToFilesystem: false });

export default [
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'shared-[hash].js' },
      {
        dir: 'dist', format: 'cjs', exports: 'named', chunkFileNames: 'shared-[hash].cjs', plugins: [wsCjsWrapper()],
        entryFileNames: (chunk) => (chunk.name === 'ws' ? 'ws-exports.cjs' : '[name].cjs'),
      },
    ],
  },
  {
    // The CLI (and the bench kit bench/*.mjs import) bundle tinybench, the one
    // devDependency they use, so the package keeps no runtime dependencies.
    input: { cli: 'src/cli/main.ts', bench: 'src/bench/index.ts' },
    external,
    plugins: [raw(), nodeResolve(), ts()],
    output: {
      dir: 'dist',
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: 'cli-[hash].js',
      // Only the bin is run as a program; the bench kit is a module.
      banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
    },
  },
  {
    // The declarations twice: .d.ts beside the ESM files and .d.cts beside the CommonJS
    // ones, so a `require` resolves to types of its own format (package.json "exports"),
    // not ESM types masquerading as CommonJS. The plugin points each file's imports at
    // its own kind (./shared-*.js or ./shared-*.cjs).
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: [
      { dir: 'dist', format: 'esm', entryFileNames: '[name].d.ts', chunkFileNames: 'shared-[hash].d.ts' },
      {
        dir: 'dist', format: 'esm', chunkFileNames: 'shared-[hash].d.cts', plugins: [wsCjsTypes()],
        entryFileNames: (chunk) => (chunk.name === 'ws' ? 'ws-exports.d.cts' : '[name].d.cts'),
      },
    ],
  },
];
