// npm run bench:e2e — end-to-end echo: wasmws (auto, wasm, js), ws + bufferutil, ws without
// bufferutil and Bun.serve (uWebSockets) in one run. Server and load client in separate
// processes pinned to separate cores; server CPU read from /proc over the measured window.
// Writes bench/results/e2e.json and bench/results/e2e.svg; prints the tables.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeChart } from '../chart.mjs';
import { http2Shapes } from './http2.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const bun = `${root}node_modules/.bin/bun`;
const deno = `${root}node_modules/.bin/deno`;
const quick = process.argv.includes('--quick');
// --only=pipelined,reqres,deflate-pipelined,deflate-reqres,client,steady,memory,http2 runs those parts and prints them, writing no files
// (--write: the rows measured replace theirs in e2e.json, the rest is kept).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const wanted = (part) => !only || only.includes(part);
// --servers=<substring>[,<substring>…] keeps the servers whose name contains one (plus the ws + bufferutil baseline);
// '=name' keeps the server of exactly that name (--servers='=wasmws auto,wasmws/ws': the Conn API and the façade).
const serverFilter = process.argv.find((a) => a.startsWith('--servers='))?.slice(10);
const SECONDS = quick ? 1 : 2;
// Each (shape, size) is measured in ROUNDS rounds, the servers interleaved within a round,
// and the median kept: one 3-second sample on this shared machine moved by ±30%.
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? (quick ? 1 : 3));
const TICK_MS = 1000 / 100; // CLK_TCK

// deflate: also runs the compression shapes (with "deflate" appended); load: the load client
// shape it needs instead of the shape's own (the net echo floor speaks no WebSocket).
const SERVERS = [
  { name: 'wasmws auto', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws', 'auto'] },
  // The README's handler: `for await (const m of conn) await conn.send(…)`.
  { name: 'wasmws auto, await send', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws', 'auto', 'await'], deflate: true },
  // Bun.serve-style callbacks: `serve(options, { message(conn, m) { conn.send(…) } })`.
  { name: 'wasmws auto, callback', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws', 'auto', 'callback'], deflate: true },
  { name: 'wasmws wasm', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws', 'wasm'] },
  { name: 'wasmws js', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws', 'js'] },
  { name: 'wasmws/ws (ws API)', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws-ws'] },
  { name: 'wasmws/ws (ws API), send cb', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'wasmws-ws', 'cb'] },
  { name: 'ws + bufferutil', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'ws'], deflate: true },
  { name: 'ws (no bufferutil)', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'ws'], env: { WS_NO_BUFFER_UTIL: '1' } },
  { name: 'bun (uWS)', cmd: bun, args: [`${here}server.mjs`, 'bun'], deflate: true },
  // Not a WebSocket server: every read echoed as it is, the floor of request/response.
  { name: 'node:net echo floor', cmd: process.execPath, args: [`${here}server.mjs`, 'net-echo'], shapes: ['reqres'], load: { reqres: 'reqres-raw' } },
  // Not a WebSocket server: a node:net socket per connection, for the idle-memory floor only.
  { name: 'node:net floor', cmd: process.execPath, args: ['--expose-gc', `${here}server.mjs`, 'net'], memoryOnly: true },
  // The same wasmws server under the other runtimes: what the library does on each engine.
  // Default: Deno.listen / Bun.listen sockets; "node:net": the runtime's node:net emulation.
  { name: 'wasmws auto on deno', cmd: deno, args: ['run', '-A', `${here}server.mjs`, 'wasmws', 'auto'] },
  { name: 'wasmws auto on deno, node:net', cmd: deno, args: ['run', '-A', `${here}server.mjs`, 'wasmws', 'auto', 'node-net'] },
  { name: 'wasmws auto on bun', cmd: bun, args: [`${here}server.mjs`, 'wasmws', 'auto'] },
  { name: 'wasmws auto on bun, node:net', cmd: bun, args: [`${here}server.mjs`, 'wasmws', 'auto', 'node-net'] },
];
// E2E_BASE=<checkout of another build>: its wasmws Node servers join as "base: <name>", for
// an A/B of two builds interleaved in one run (build that checkout first: it benches its dist/).
const base = process.env.E2E_BASE;
if (base) {
  for (const s of SERVERS.filter((x) => x.name.startsWith('wasmws auto') && x.cmd === process.execPath)) {
    SERVERS.push({ ...s, name: `base: ${s.name}`, args: s.args.map((a) => (a === `${here}server.mjs` ? `${base}/bench/e2e/server.mjs` : a)) });
  }
}
// --sizes=64 KiB,1 MiB keeps those sizes.
const sizeFilter = process.argv.find((a) => a.startsWith('--sizes='))?.slice(8).split(',');
const SIZES = [['32 B', 32], ['1 KiB', 1024], ['64 KiB', 65536], ['1 MiB', 1 << 20]].filter(([label]) => !sizeFilter || sizeFilter.includes(label));
const DEFLATE_SIZES = [['1 KiB JSON', 1024], ['64 KiB JSON', 65536]];
const SHAPES = ['pipelined', 'reqres', 'deflate-pipelined', 'deflate-reqres'];
const sizesFor = (shape) => (shape.startsWith('deflate') ? DEFLATE_SIZES : SIZES);
const runsShape = (server, shape) => (shape.startsWith('deflate') ? server.deflate === true : !server.shapes || server.shapes.includes(shape));
const connsFor = (size) => (size <= 1024 ? 50 : size <= 65536 ? 16 : 4);

function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
}

function lines(child, onLine) {
  let buffered = '';
  child.stdout.on('data', (d) => {
    buffered += d;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) { onLine(buffered.slice(0, nl)); buffered = buffered.slice(nl + 1); }
  });
}

async function startServer(server) {
  const child = spawn('taskset', ['-c', '0', server.cmd, ...server.args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...server.env } });
  const port = await new Promise((resolve) => lines(child, (l) => { const m = /^PORT (\d+)/.exec(l); if (m) resolve(Number(m[1])); }));
  return { child, port };
}

function runLoad(args, onMeasure, onResult = () => {}, script = 'load.mjs') {
  const child = spawn('taskset', ['-c', '1', process.execPath, `${here}${script}`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => lines(child, (l) => {
    if (l === 'MEASURE') onMeasure(child.pid);
    else if (l.startsWith('{')) { onResult(child.pid); resolve(JSON.parse(l)); }
  }));
}

/** The client side: ws's client and wasmws's client against the same server, their own CPU per message. */
async function clientCpu(shape, size) {
  const { child, port } = await startServer(SERVERS.find((s) => s.name === 'ws + bufferutil'));
  let start = 0;
  let used = 0;
  const result = await runLoad([shape, String(port), String(size), '16', String(SECONDS)], (pid) => { start = cpuMs(pid); }, (pid) => { used = cpuMs(pid) - start; });
  child.kill();
  return (used * 1000) / result.messages;
}

async function steadyLatency(server, conns) {
  const { child, port } = await startServer(server);
  // 10 s: a p99 over 3 s (30,000 messages) rested on a few GC pauses and moved 3× run to run.
  const result = await runLoad(['steady', String(port), String(conns), String(quick ? 3 : 10)], () => {});
  child.kill();
  return result;
}

async function measure(server, shape, size) {
  const { child, port } = await startServer(shape.startsWith('deflate') ? { ...server, args: [...server.args, 'deflate'] } : server);
  let cpuStart = 0;
  const result = await runLoad([server.load?.[shape] ?? shape, String(port), String(size), String(connsFor(size)), String(SECONDS)], () => { cpuStart = cpuMs(child.pid); });
  const cpu = cpuMs(child.pid) - cpuStart;
  child.kill();
  return {
    messagesPerSecond: result.messages / result.seconds,
    mbPerSecond: (result.messages * size) / result.seconds / 1e6,
    serverCpuUsPerMessage: (cpu * 1000) / result.messages,
    p50Ms: result.p50Ms, p99Ms: result.p99Ms,
  };
}

/**
 * Idle memory per connection, two ways: the RSS growth with `conns` connections over the
 * empty server (what the 5,000-connection figure means; it includes the one-off
 * growth of the JS heap's young generation, ~30-40 MB at this rate of handshakes), and the
 * marginal cost: RSS growth from `conns` more connections once `conns` are open.
 */
async function idleMemory(server, conns) {
  const { child, port } = await startServer(server);
  const memory = () => new Promise((resolve) => {
    const onData = (d) => { const m = /RSS (\d+)/.exec(d.toString()); if (m) { child.stdout.off('data', onData); resolve(Number(m[1])); } };
    child.stdout.on('data', onData);
    child.stdin.write('mem\n');
  });
  const open = async () => {
    const load = spawn('taskset', ['-c', '1', process.execPath, `${here}load.mjs`, 'idle', String(port), String(conns)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => lines(load, (l) => { if (l.includes('opened')) resolve(); }));
    await new Promise((r) => setTimeout(r, 500));
    return load;
  };
  const before = await memory();
  const first = await open();
  const withFirst = await memory();
  const second = await open();
  const withBoth = await memory();
  first.kill();
  second.kill();
  child.kill();
  return { total: (withFirst - before) / conns, marginal: (withBoth - withFirst) / conns };
}

/** Handshakes per second (the load client's 50-at-a-time pace) and the server's CPU per handshake. */
async function handshakeRate(server) {
  const { child, port } = await startServer(server);
  const start = cpuMs(child.pid);
  const count = quick ? 2000 : 6000;
  const result = await runLoad(['handshakes', String(port), String(count)], () => {});
  const cpuUsPerHandshake = ((cpuMs(child.pid) - start) * 1000) / count;
  child.kill();
  return { perSecond: result.perSecond, cpuUsPerHandshake };
}

const machine = `${os.cpus()[0]?.model} × ${os.cpus().length}, Node ${process.version}, Linux ${os.release()}`;
console.log(`wasmws end-to-end bench — ${machine} — ${new Date().toISOString().slice(0, 10)}`);
const results = [];
const median = (samples) => [...samples].sort((x, y) => x.serverCpuUsPerMessage - y.serverCpuUsPerMessage)[samples.length >> 1];
for (const shape of SHAPES.filter(wanted)) {
  for (const [label, size] of sizesFor(shape)) {
    const servers = SERVERS.filter((s) => !s.memoryOnly && runsShape(s, shape) && (!serverFilter || serverFilter.split(',').some((f) => (f.startsWith('=') ? s.name === f.slice(1) : s.name.includes(f))) || s.name === 'ws + bufferutil'));
    const samples = new Map(servers.map((server) => [server, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of servers) {
        const r = await measure(server, shape, size);
        samples.get(server).push(r);
        process.stderr.write(`  ${shape} ${label} ${server.name} (round ${round + 1}): ${r.serverCpuUsPerMessage.toFixed(2)} µs/msg\n`);
      }
    }
    for (const server of servers) {
      const all = samples.get(server);
      results.push({ shape, size: label, server: server.name, ...median(all), samplesCpuUsPerMessage: all.map((r) => r.serverCpuUsPerMessage) });
    }
  }
}
/** zlib's own deflate + inflate of the same bytes, pinned like a server; median of ROUNDS. */
async function zlibFloor(size, mode) {
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    const child = spawn('taskset', ['-c', '0', process.execPath, `${here}zlib-floor.mjs`, String(size), String(SECONDS), ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    samples.push(await new Promise((resolve) => lines(child, (l) => { if (l.startsWith('{')) resolve(JSON.parse(l).cpuUsPerMessage); })));
  }
  return [...samples].sort((x, y) => x - y)[samples.length >> 1];
}
const zlibFloors = [];
for (const [label, size] of wanted('deflate-pipelined') || wanted('deflate-reqres') ? DEFLATE_SIZES : []) {
  zlibFloors.push({ size: label, streamCpuUsPerMessage: await zlibFloor(size), oneShotSyncCpuUsPerMessage: await zlibFloor(size, 'sync'), streamSyncCpuUsPerMessage: await zlibFloor(size, 'stream-sync') });
}

const clients = [];
const middle = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];
for (const [label, size] of wanted('client') ? [['32 B', 32], ['64 KiB', 65536]] : []) {
  const wsSamples = [];
  const ourSamples = [];
  for (let round = 0; round < ROUNDS; round++) {
    wsSamples.push(await clientCpu('reqres', size));
    ourSamples.push(await clientCpu('reqres-wasmws', size));
  }
  const ws = middle(wsSamples);
  const ours = middle(ourSamples);
  clients.push({ size: label, 'ws client CPU µs/msg': ws.toFixed(2), 'wasmws client CPU µs/msg': ours.toFixed(2), 'wasmws vs ws': (ours / ws).toFixed(2) + '×' });
}
const steady = [];
for (const server of SERVERS.filter((s) => wanted('steady') && ['wasmws auto', 'ws + bufferutil', 'bun (uWS)'].includes(s.name))) {
  const r = await steadyLatency(server, quick ? 2000 : 10_000);
  steady.push({ server: server.name, connections: quick ? 2000 : 10_000, 'msg/s': Math.round(r.messages / r.seconds), 'p50 ms': r.p50Ms.toFixed(2), 'p99 ms': r.p99Ms.toFixed(2) });
}
const memory = [];
for (const server of SERVERS.filter((s) => wanted('memory') && ['wasmws auto', 'ws + bufferutil', 'bun (uWS)', 'node:net floor'].includes(s.name))) {
  const idle = await idleMemory(server, quick ? 1000 : 5000);
  const handshakes = await handshakeRate(server);
  memory.push({ server: server.name, idleBytesPerConnection: idle.total, marginalBytesPerConnection: idle.marginal, handshakesPerSecond: handshakes.perSecond, serverCpuUsPerHandshake: handshakes.cpuUsPerHandshake });
}

const http2 = wanted('http2') ? await http2Shapes({ here, rounds: ROUNDS, seconds: SECONDS, startServer, runLoad, cpuMs }) : [];

const baseline = (shape, size) => results.find((r) => r.shape === shape && r.size === size && r.server === 'ws + bufferutil');
const bunOf = (shape, size) => results.find((r) => r.shape === shape && r.size === size && r.server === 'bun (uWS)');
const floorOf = (shape, size) => (shape === 'reqres'
  ? results.find((r) => r.shape === shape && r.size === size && r.server === 'node:net echo floor')?.serverCpuUsPerMessage
  : shape.startsWith('deflate') ? zlibFloors.find((z) => z.size === size)?.streamCpuUsPerMessage : undefined);
const TITLES = {
  pipelined: 'pipelined (16 frames per TCP write)',
  reqres: 'request/response (ws client, 16 in flight; the floor: raw bytes to a node:net echo)',
  'deflate-pipelined': 'permessage-deflate, pipelined (16 compressed frames per write, client_no_context_takeover; the floor: zlib stream deflate+inflate)',
  'deflate-reqres': 'permessage-deflate, request/response (ws client, perMessageDeflate, context takeover; the floor: zlib stream deflate+inflate)',
};
for (const shape of SHAPES.filter(wanted)) {
  console.log(`\n${TITLES[shape]}: server CPU µs per message, median of ${ROUNDS} (ratio to ws + bufferutil's, to Bun's, to the floor), messages/s, p50/p99 ms`);
  console.table(results.filter((r) => r.shape === shape).map((r) => ({
    size: r.size, server: r.server,
    'CPU µs/msg': r.serverCpuUsPerMessage.toFixed(2),
    'vs ws+bu': (r.serverCpuUsPerMessage / baseline(shape, r.size).serverCpuUsPerMessage).toFixed(2) + '×',
    'vs bun': bunOf(shape, r.size) ? (r.serverCpuUsPerMessage / bunOf(shape, r.size).serverCpuUsPerMessage).toFixed(2) + '×' : '',
    'vs floor': floorOf(shape, r.size) ? (r.serverCpuUsPerMessage / floorOf(shape, r.size)).toFixed(2) + '×' : '',
    'msg/s': Math.round(r.messagesPerSecond), 'MB/s': r.mbPerSecond.toFixed(1),
    // null: no message answered in the window (a stalled server): printed, not a crash of the table.
    'p50 ms': r.p50Ms?.toFixed(2) ?? '-', 'p99 ms': r.p99Ms?.toFixed(2) ?? '-',
  })));
}
if (zlibFloors.length > 0) {
  console.log('\nzlib floor (one process, no sockets): CPU µs per message for deflate + inflate of the same bytes');
  console.table(zlibFloors.map((z) => ({ size: z.size, 'stream, context takeover': z.streamCpuUsPerMessage.toFixed(2), 'one-shot sync, no context': z.oneShotSyncCpuUsPerMessage.toFixed(2), 'stream on the loop (writeSync), context takeover': z.streamSyncCpuUsPerMessage.toFixed(2) })));
}
if (clients.length > 0) {
  console.log('\nclient side (request/response against ws + bufferutil, 16 connections): client CPU per message, masking included');
  console.table(clients);
}
if (steady.length > 0) {
  console.log('\nmany quiet connections: each sends one 32-byte message per second; echo latency');
  console.table(steady);
}
if (memory.length > 0) console.log('\nidle memory per connection (RSS after GC: the first N connections, then N more); handshakes (50 at a time, opened and closed)');
if (memory.length > 0) console.table(memory.map((m) => ({
  server: m.server,
  'KiB/conn (first N)': (m.idleBytesPerConnection / 1024).toFixed(2),
  'KiB/conn (next N)': (m.marginalBytesPerConnection / 1024).toFixed(2),
  'handshakes/s': Math.round(m.handshakesPerSecond),
  'server CPU µs/handshake': m.serverCpuUsPerHandshake.toFixed(1),
})));

if (http2.length > 0) {
  console.log('\nHTTP/2 (RFC 8441): one wasmws serve({ tls, http2: true }), the wasmws client over h2 streams or HTTP/1.1 connections; request/response, 16 sockets, 16 in flight');
  console.table(http2);
}

// A partial run prints, and leaves the recorded results alone, unless --write: then what it
// measured replaces those rows of e2e.json (same shape and server), the rest is kept.
const write = process.argv.includes('--write');
if ((only || serverFilter) && !write) process.exit(0);
mkdirSync(`${root}bench/results`, { recursive: true });
let recorded = { machine, date: new Date().toISOString(), results, zlibFloors, clients, steady, memory, http2 };
if (only || serverFilter) {
  const previous = JSON.parse(readFileSync(`${root}bench/results/e2e.json`, 'utf8'));
  const measured = new Set(results.map((r) => `${r.shape}|${r.server}`));
  recorded = {
    machine, date: recorded.date, previousDate: previous.date,
    results: [...(previous.results ?? []).filter((r) => !measured.has(`${r.shape}|${r.server}`)), ...results],
    zlibFloors: zlibFloors.length > 0 ? zlibFloors : previous.zlibFloors ?? [],
    clients: clients.length > 0 ? clients : previous.clients ?? [],
    steady: steady.length > 0 ? steady : previous.steady ?? [],
    memory: memory.length > 0 ? memory : previous.memory ?? [],
    http2: http2.length > 0 ? http2 : previous.http2 ?? [],
  };
}
writeFileSync(`${root}bench/results/e2e.json`, JSON.stringify(recorded, null, 2));
// The chart shows speed relative to ws + bufferutil (higher is better), pipelined shape.
const chartRows = recorded.results.filter((r) => r.shape === 'pipelined').map((r) => ({ group: 'pipelined', size: r.size, impl: r.server, nsPerOp: r.serverCpuUsPerMessage * 1000 }));
writeChart(new URL('../results/e2e.svg', import.meta.url), chartRows, 'pipelined', 'ws + bufferutil', `pipelined echo: server messages per CPU-second, relative to ws + bufferutil (${machine})`);
console.log('\nwrote bench/results/e2e.json and bench/results/e2e.svg');
