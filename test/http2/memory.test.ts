import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCert } from '../helpers/transports';

// 1,000 WebSockets on one HTTP/2 session against 1,000 wss:// connections over HTTP/1.1,
// same server, both ends in one child process (--expose-gc), RSS after GC. The bounds are
// the README's figures ("HTTP/2") with room for allocator noise.
const PROBE = join(__dirname, 'memory-probe.mjs');
const dir = mkdtempSync(join(tmpdir(), 'wasmws-h2-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe(mode: 'h2' | 'h1'): { echoed: number; bytesPerConnection: number } {
  writeFileSync(join(dir, 'key.pem'), testCert().key);
  writeFileSync(join(dir, 'cert.pem'), testCert().cert);
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', PROBE, mode, '1000', join(dir, 'key.pem'), join(dir, 'cert.pem')], { encoding: 'utf8', timeout: 90_000 }));
}

describe('memory per WebSocket over HTTP/2', () => {
  it('1,000 echoing streams on one session cost less than 1,000 TLS connections', () => {
    const h2 = probe('h2');
    const h1 = probe('h1');
    expect(h2.echoed).toBe(1001); // every one open at once (plus the warm-up one)
    expect(h1.echoed).toBe(1001);
    expect(h2.bytesPerConnection).toBeLessThan(64 * 1024); // README: ~40 KiB, both ends
    expect(h2.bytesPerConnection).toBeLessThan(h1.bytesPerConnection); // README: ~125 KiB, both ends
  }, 180_000);
});
