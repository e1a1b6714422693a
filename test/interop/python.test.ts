import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import type { CodecKind } from '../../src/codec/select';
import { serve, type WebSocketServer } from '../../src/server';

// Interop with Python `websockets` (Debian's python3-websockets, installed by .ci/run),
// run with Debian's own interpreter so a different python3 on PATH cannot hide it.
const PYTHON = '/usr/bin/python3';
const PEER = join(__dirname, 'python', 'peer.py');

function payload(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31) & 0xff;
  return b;
}

describe('interop with Python websockets', () => {
  it('has Debian\'s python3 with websockets (installed by .ci/run)', () => {
    expect(existsSync(PYTHON)).toBe(true);
  });

  describe.each([['js', false], ['wasm', false], ['js', true], ['wasm', true]] as [CodecKind, boolean][])('%s codec, compression %s', (codec, deflate) => {
    let python: ChildProcess;
    let pythonPort = 0;
    let ours: WebSocketServer;

    beforeAll(async () => {
      python = spawn(PYTHON, [PEER, 'server', ...(deflate ? ['deflate'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
      pythonPort = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('python server did not start')), 10_000);
        python.stdout!.on('data', (d: Buffer) => {
          const m = /PORT (\d+)/.exec(d.toString());
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
      });
      ours = await serve({ port: 0, codec, maxMessageBytes: 32 << 20, compression: deflate }, async (conn) => {
        try { for await (const m of conn) await conn.send(m.type === 'text' ? m.text() : m.data); } catch { /* closed */ }
      });
    });
    afterAll(async () => {
      python.kill();
      await ours.close({ timeoutMs: 200 });
    });

    it('our client and a Python server exchange text, binary up to 16 MiB, fragments, pings and a close', async () => {
      const conn = await dial(`ws://127.0.0.1:${pythonPort}/`, { codec, maxMessageBytes: 32 << 20, compression: deflate });
      expect(conn.extensions.startsWith('permessage-deflate')).toBe(deflate);
      await conn.send('héllo ✓');
      expect((await conn.read()).text()).toBe('héllo ✓');
      for (const size of [0, 125, 126, 65535, 65536, 16 << 20]) {
        await conn.send(payload(size));
        expect(Buffer.from((await conn.read()).data).equals(Buffer.from(payload(size)))).toBe(true);
      }
      const writer = await conn.nextWriter('binary');
      await writer.write(payload(1000));
      await writer.write(payload(10));
      await writer.close();
      expect((await conn.read()).data.length).toBe(1010);
      expect(await conn.ping('py?')).toBeGreaterThanOrEqual(0);
      expect(await conn.close(4002, 'bye')).toMatchObject({ code: 4002, wasClean: true });
    }, 30_000); // 16 MiB each way through a Python peer: seconds on a loaded machine

    it('a Python client and our server pass the same script', async () => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(PYTHON, [PEER, 'client', `ws://127.0.0.1:${ours.address().port}/`, ...(deflate ? ['deflate'] : [])], { timeout: 30_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n${stderr}`));
          else resolve(stdout.trim());
        });
      });
      expect(out).toBe(`EXTENSIONS [${deflate ? "'PerMessageDeflate'" : ''}]\nOK`);
    }, 30_000); // a Python start-up on a loaded 2-core machine alone can take seconds (the peer's own limit is 30 s too)
  });
});
