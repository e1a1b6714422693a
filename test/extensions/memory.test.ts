import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// 1,000 connections (both ends in one process, each used once in both directions), RSS
// measured after GC in a child process started with --expose-gc. The bounds are the
// figures the README documents per connection, with room for allocator noise.
const PROBE = join(__dirname, 'memory-probe.mjs');

function probe(mode: string): { bytesPerConnection: number; extensions: string } {
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', PROBE, mode, '1000'], { encoding: 'utf8', timeout: 60_000 }));
}

describe('memory per connection with compression', () => {
  it('stays within the documented figures: no compression, shared contexts, own contexts', () => {
    const off = probe('off');
    const noContext = probe('no-context');
    const on = probe('on');
    expect(on.extensions).toMatch(/^permessage-deflate/);
    expect(noContext.extensions).toMatch(/server_no_context_takeover; client_no_context_takeover/);
    // Per connection, both ends: docs/compression.md, "Memory per connection".
    expect(off.bytesPerConnection).toBeLessThan(64 * 1024);
    expect(noContext.bytesPerConnection).toBeLessThan(off.bytesPerConnection + 64 * 1024);
    expect(on.bytesPerConnection).toBeLessThan(off.bytesPerConnection + 400 * 1024);
  }, 120_000);
});
