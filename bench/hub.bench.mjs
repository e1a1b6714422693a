// npm run bench:hub — publish latency (p50/p99) and throughput: one in-memory node against
// three nodes over Redis (each with its own broker connections; a redis-server of the
// bench's own on a free port), in one run. Subscribers are real WebSocket clients. Nodes,
// clients and the measurement share this one process (and its one CPU), so the numbers
// are an upper bound for latency and a lower bound for throughput.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dial, serve } from '../dist/index.js';
import { Hub, RedisBroker } from '../dist/hub.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SUBSCRIBERS_PER_NODE = 50;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await sleep(300);
  return { url: `redis://127.0.0.1:${port}`, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGKILL'); }) };
}

async function makeNodes(count, redisUrl) {
  return Promise.all(Array.from({ length: count }, async () => {
    const broker = redisUrl ? await RedisBroker.connect({ url: redisUrl }) : undefined;
    // A deep queue: flat-out publishing must measure throughput, not the slow-reader policy.
    const hub = new Hub({ broker, maxQueuedMessages: 100_000 });
    const server = await serve({ port: 0, pingIntervalMs: 0, compression: false }, (conn) => hub.subscribe(conn, 'bench'));
    const clients = await Promise.all(Array.from({ length: SUBSCRIBERS_PER_NODE }, () => dial(`ws://127.0.0.1:${server.address().port}/`, { compression: false })));
    while (hub.subscriberCount('bench') < SUBSCRIBERS_PER_NODE) await sleep(5);
    return { hub, server, clients };
  }));
}

/** Publishes `messages` from node 0, paced at `ratePerSecond`; returns latency percentiles and delivery rate at remote subscribers. */
async function run(nodes, messages, ratePerSecond) {
  const latencies = [];
  let delivered = 0;
  const expected = messages * nodes.length * SUBSCRIBERS_PER_NODE;
  const remote = new Set(nodes.length > 1 ? nodes.slice(1).flatMap((n) => n.clients) : nodes[0].clients);
  for (const node of nodes) {
    for (const client of node.clients) {
      void (async () => {
        try {
          for await (const m of client) {
            delivered++;
            if (remote.has(client)) latencies.push(performance.now() - Number(m.text().split(' ')[0]));
          }
        } catch { /* closed */ }
      })();
    }
  }
  await sleep(200);
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    nodes[0].hub.publish('bench', `${performance.now()} message ${i}`);
    if (ratePerSecond) await sleep(1000 / ratePerSecond);
    else if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  while (delivered < expected && performance.now() - started < 60_000) await sleep(5);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), deliveredPerSecond: delivered / seconds, complete: delivered === expected };
}

async function teardown(nodes) {
  for (const n of nodes) {
    await Promise.all(n.clients.map((c) => c.close().catch(() => {})));
    await n.server.close({ timeoutMs: 500 });
    await n.hub.close();
  }
}

const redis = await startRedis();
const rows = [];
for (const [label, count, url] of [['1 node, in memory', 1, undefined], ['3 nodes over Redis', 3, redis.url]]) {
  const latencyNodes = await makeNodes(count, url);
  const paced = await run(latencyNodes, 300, 100);
  await teardown(latencyNodes);
  const throughputNodes = await makeNodes(count, url);
  const flat = await run(throughputNodes, 5000, 0);
  await teardown(throughputNodes);
  rows.push({ setup: label, subscribers: count * SUBSCRIBERS_PER_NODE, 'latency p50 ms (100/s)': paced.p50.toFixed(2), 'latency p99 ms': paced.p99.toFixed(2), 'deliveries/s (flat out)': Math.round(flat.deliveredPerSecond), complete: flat.complete && paced.complete });
}
await redis.stop();
console.log(`hub bench — ${SUBSCRIBERS_PER_NODE} subscribers per node, latency measured at subscribers on other nodes`);
console.table(rows);
process.exit(0);
