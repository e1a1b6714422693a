// Run by memory.test.ts as `node --expose-gc memory-probe.mjs <compression on|off> <connections>`:
// opens N connections to a server in this process, uses each once in both directions, and
// prints the RSS growth per connection (both ends counted) after GC, as JSON.
import { dial, serve } from '../../dist/index.js';

const [mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
const compression = mode === 'on' ? {} : mode === 'no-context' ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : false;
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); } };

const server = await serve({ port: 0, compression, pingIntervalMs: 0 }, async (conn) => {
  try { for await (const m of conn) await conn.send(m.text()); } catch { /* closed */ }
});
const url = `ws://127.0.0.1:${server.address().port}/`;
const message = JSON.stringify({ hello: 'world', items: Array.from({ length: 200 }, (_, i) => `item ${i}`) });
// Warm up: code paths and zlib loaded before the baseline.
const warm = await dial(url, { compression });
await warm.send(message);
await warm.read();
await settle();
const before = process.memoryUsage();
const conns = [];
for (let i = 0; i < count; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => dial(url, { compression })));
  await Promise.all(batch.map(async (c) => { await c.send(message); await c.read(); }));
  conns.push(...batch);
}
await settle();
const after = process.memoryUsage();
console.log(JSON.stringify({ compression, count, bytesPerConnection: Math.round((after.rss - before.rss) / count), heapPerConnection: Math.round((after.heapUsed - before.heapUsed) / count), externalPerConnection: Math.round((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / count), extensions: conns[0].extensions }));
await Promise.all(conns.map((c) => c.close()));
await server.close({ timeoutMs: 1000 });
process.exit(0);
