// The HTTP/2 shape of bench:e2e (`--only=http2`): one wasmws serve({ tls, http2: true }),
// the same wasmws client over wss:// as HTTP/2 streams (RFC 8441, one session) or as HTTP/1.1
// connections (one TLS socket each); request/response, 16 connections, 16 in flight; the
// server's CPU per message at 32 B and 64 KiB, median of `rounds`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SIZES = [['32 B', 32], ['64 KiB', 65536]];

/** Runs the shape with the orchestrator's helpers (run.mjs); returns one row per size and protocol. */
export async function http2Shapes({ here, rounds, seconds, startServer, runLoad, cpuMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmws-bench-h2-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const server = { name: 'wasmws auto (tls + http2)', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws-tls', 'auto', key, cert] };
  const rows = [];
  for (const [label, size] of SIZES) {
    const samples = { h2: [], h1: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['h2', 'h1']) {
        const { child, port } = await startServer(server);
        let start = 0;
        const result = await runLoad([String(port), String(size), '16', String(seconds), mode, cert], () => { start = cpuMs(child.pid); }, () => {}, 'load-h2.mjs');
        const used = cpuMs(child.pid) - start;
        child.kill();
        samples[mode].push({ cpu: (used * 1000) / result.messages, rate: result.messages / result.seconds });
        process.stderr.write(`  http2 ${label} ${mode} (round ${round + 1}): ${((used * 1000) / result.messages).toFixed(2)} µs/msg\n`);
      }
    }
    const mid = (list) => [...list].sort((a, b) => a.cpu - b.cpu)[list.length >> 1];
    const h2 = mid(samples.h2);
    const h1 = mid(samples.h1);
    rows.push({ size: label, protocol: 'wss over HTTP/2 (one session)', 'server CPU µs/msg': h2.cpu.toFixed(2), 'msg/s': Math.round(h2.rate), 'vs HTTP/1.1': (h2.cpu / h1.cpu).toFixed(2) + '×' });
    rows.push({ size: label, protocol: 'wss over HTTP/1.1 (16 TLS connections)', 'server CPU µs/msg': h1.cpu.toFixed(2), 'msg/s': Math.round(h1.rate), 'vs HTTP/1.1': '1.00×' });
  }
  return rows;
}
