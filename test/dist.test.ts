import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// dist/ is built by `npm test` (pretest) before vitest starts. It is copied, with the
// package.json, into an empty folder outside the repository: if any file looked up a .wasm
// or a dependency on disk, the import would fail there.
const root = join(__dirname, '..');
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmws-dist-'));
  const pkg = join(dir, 'node_modules', 'wasmws');
  cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(file: string, source: string): string {
  writeFileSync(join(dir, file), source);
  return execFileSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' }).trim();
}

const check = `
  const h = { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
  const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  const results = [];
  for (const codec of [codecs.js, codecs.wasm]) {
    const used = codec.parseHeader(frame, 0, frame.length, h);
    const payload = frame.slice(used);
    codec.mask(payload, 0, payload.length, h.maskKey, 0);
    results.push(codec.name + ':' + new TextDecoder().decode(payload));
  }
  results.push('wasmError=' + codecs.wasmError, 'simd=' + codecs.wasm.simd, 'selected=' + root.selectCodec('auto').name);
  console.log(results.join(' '));
`;

describe('dist/', () => {
  it('imports as ESM from a copy outside the repository, with WASM working', () => {
    const out = run('esm.mjs', `import * as codecs from 'wasmws/codec'; import * as root from 'wasmws';${check}`);
    expect(out).toBe('js:Hello wasm:Hello wasmError=null simd=true selected=wasm');
  });

  it('requires as CommonJS from the same copy', () => {
    const out = run('cjs.cjs', `const codecs = require('wasmws/codec'); const root = require('wasmws');${check}`);
    expect(out).toBe('js:Hello wasm:Hello wasmError=null simd=true selected=wasm');
  });

  it('falls back to js, and says why, where WebAssembly is missing', () => {
    const out = run('nowasm.mjs', `delete globalThis.WebAssembly; const codecs = await import('wasmws/codec');
      console.log(codecs.wasmError.message, codecs.selectCodec('auto').name);`);
    expect(out).toBe('WebAssembly is not available in this runtime js');
  });
});
