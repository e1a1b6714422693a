// Run by memory.test.ts as `node --expose-gc memory-probe.mjs <h2|h1> <connections> <key.pem> <cert.pem>`:
// one serve({ tls, http2: true }) in this process; N WebSockets dialled to it over HTTP/2
// (extended CONNECT streams on one session) or over HTTP/1.1 (wss://, a TLS connection
// each), used once in both directions, no compression; prints the RSS growth per WebSocket
// (both ends counted) after GC, as JSON.
import { readFileSync } from 'node:fs';
import { dial, serve } from '../../dist/index.js';

const [mode, countArg, keyFile, certFile] = process.argv.slice(2);
const count = Number(countArg);
const tls = { key: readFileSync(keyFile), cert: readFileSync(certFile) };
const http2 = mode === 'h2';
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); } };

const server = await serve({ port: 0, tls, http2: true, compression: false, pingIntervalMs: 0 }, async (conn) => {
  try { for await (const m of conn) await conn.send(m.text()); } catch { /* closed */ }
});
const url = `wss://localhost:${server.address().port}/`;
const options = { tls: { ca: tls.cert }, http2, compression: false };
const message = JSON.stringify({ hello: 'world', items: Array.from({ length: 200 }, (_, i) => `item ${i}`) });
// Warm up (and, over h2, open the session the others share) before the baseline.
const warm = await dial(url, options);
await warm.send(message);
await warm.read();
await settle();
const before = process.memoryUsage();
const conns = [];
for (let i = 0; i < count; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => dial(url, options)));
  await Promise.all(batch.map(async (c) => { await c.send(message); await c.read(); }));
  conns.push(...batch);
}
await settle();
const after = process.memoryUsage();
const echoed = server.connections.size;
console.log(JSON.stringify({ mode, count, echoed, bytesPerConnection: Math.round((after.rss - before.rss) / count), heapPerConnection: Math.round((after.heapUsed - before.heapUsed) / count) }));
await Promise.all(conns.map((c) => c.close()));
await warm.close();
await server.close({ timeoutMs: 1000 });
process.exit(0);
