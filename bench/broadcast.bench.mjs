// npm run bench:broadcast — fan-out to N clients (1,000 and 5,000): wasmws with a
// PreparedMessage, wasmws with a per-client send, the in-memory Hub's publish(), ws's documented broadcast loop
// (`wss.clients.forEach(c => c.send(data))`), and the floor: a bare node:net server writing
// the frame's bytes to each socket (`socket.write(frameBytes)`), no WebSocket library. Two
// shapes: one publication per turn, and bursty (16 publications in one turn: a library that
// corks writes one buffer per subscriber per turn). Server CPU per delivered message; this
// process is pinned to core 0, the clients (bench/broadcast-clients.mjs) to core 1; median
// of ROUNDS interleaved rounds.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import os from 'node:os';
import { WebSocketServer } from 'ws';
import { prepare, serve } from '../dist/index.js';
import { Hub } from '../dist/hub.js';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const TURNS = Number(arg('turns') ?? 50);
const ROUNDS = Number(arg('rounds') ?? 3);
// --only=<substring>[,…] keeps the cases whose name contains one (the floor and ws are always run: the ratios need them);
// --clients=1000[,5000] and --bursts=1[,16] pick the sizes and shapes.
const onlyCases = arg('only')?.split(',');
const CLIENT_COUNTS = (arg('clients') ?? '1000,5000').split(',').map(Number);
const BURSTS = (arg('bursts') ?? '1,16').split(',').map(Number);
const payload = JSON.stringify({ user: 'zoë', text: 'hello everyone, this is a chat line of typical size' });
const payloadBytes = Buffer.from(payload);
/** The frame the floor writes: an unmasked text frame (payload < 126 bytes). */
const frameBytes = Buffer.concat([Buffer.from([0x81, payloadBytes.length]), payloadBytes]);
try { execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' }); } catch { /* no taskset: unpinned */ }

async function withClients(port, count, burst, run) {
  const child = spawn('taskset', ['-c', '1', process.execPath, new URL('./broadcast-clients.mjs', import.meta.url).pathname, String(port), String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const wait = (line) => new Promise((resolve) => {
    const check = () => { if (lines.includes(line)) resolve(); else setTimeout(check, 5); };
    check();
  });
  child.stdout.on('data', (d) => lines.push(...d.toString().trim().split('\n')));
  await wait('ready');
  child.stdin.write(`expect ${TURNS * burst}\n`);
  const result = await run(() => wait('done'));
  child.kill();
  return result;
}

/** `publish` called `burst` times per turn, for TURNS turns; CPU until every client has everything. */
async function measure(publish, burst, done) {
  await new Promise((r) => setTimeout(r, 200)); // let connection set-up settle
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < TURNS; i++) {
    for (let k = 0; k < burst; k++) publish();
    await new Promise((r) => setImmediate(r));
  }
  await done();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

async function wasmwsCase(count, burst, mode) {
  const conns = new Set();
  const server = await serve({ port: 0, compression: false, pingIntervalMs: 0 }, (conn) => { conns.add(conn); });
  const result = await withClients(server.address().port, count, burst, async (done) => {
    while (conns.size < count) await new Promise((r) => setTimeout(r, 10));
    return measure(() => {
      // No .catch per send: send()'s promise is marked handled (docs/conn-api.md), so a
      // fire-and-forget loop is the same code as ws's.
      if (mode === 'prepared') {
        const message = prepare(payload);
        for (const conn of conns) conn.send(message);
      } else {
        for (const conn of conns) conn.send(payload);
      }
    }, burst, done);
  });
  await server.close({ timeoutMs: 1000 });
  return result;
}

/** The in-memory Hub: every connection subscribed to one topic, hub.publish() per publication. */
async function hubCase(count, burst) {
  const hub = new Hub({ maxQueuedMessages: 1024 });
  const server = await serve({ port: 0, compression: false, pingIntervalMs: 0 }, (conn) => hub.subscribe(conn, 'room'));
  const result = await withClients(server.address().port, count, burst, async (done) => {
    while (hub.subscriberCount('room') < count) await new Promise((r) => setTimeout(r, 10));
    return measure(() => hub.publish('room', payload), burst, done);
  });
  await hub.close();
  await server.close({ timeoutMs: 1000 });
  return result;
}

async function wsCase(count, burst) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const result = await withClients(wss.address().port, count, burst, async (done) => {
    while (wss.clients.size < count) await new Promise((r) => setTimeout(r, 10));
    return measure(() => {
      wss.clients.forEach((client) => { if (client.readyState === 1) client.send(payload); });
    }, burst, done);
  });
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
  return result;
}

/** The floor: the handshake answered by hand, then one bare socket.write(frameBytes) per client per publication. */
async function floorCase(count, burst) {
  const sockets = new Set();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.once('data', (head) => {
      const key = /sec-websocket-key: *([^\r\n]+)/i.exec(head.toString('latin1'))?.[1] ?? '';
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      sockets.add(socket);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const result = await withClients(server.address().port, count, burst, async (done) => {
    while (sockets.size < count) await new Promise((r) => setTimeout(r, 10));
    return measure(() => { for (const socket of sockets) socket.write(frameBytes); }, burst, done);
  });
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => server.close(r));
  return result;
}

const CASES = [
  ['floor: socket.write(frameBytes)', floorCase],
  ['ws broadcast loop', wsCase],
  ['wasmws prepare()', (count, burst) => wasmwsCase(count, burst, 'prepared')],
  ['wasmws send() per client', (count, burst) => wasmwsCase(count, burst, 'send')],
  ['wasmws hub.publish() (in memory)', hubCase],
].filter(([name], i) => i < 2 || !onlyCases || onlyCases.some((o) => name.includes(o)));

console.log(`broadcast fan-out — ${os.cpus()[0]?.model} × ${os.cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${TURNS} turns, ${payload.length} B messages, median of ${ROUNDS}`);
const rows = [];
const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];
for (const burst of BURSTS) {
  for (const count of CLIENT_COUNTS) {
    const samples = new Map(CASES.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of CASES) {
        const r = await run(count, burst);
        samples.get(name).push((r.cpuMs * 1000) / (count * TURNS * burst));
      }
    }
    const floor = median(samples.get(CASES[0][0]));
    const ws = median(samples.get('ws broadcast loop'));
    const prepared = samples.get('wasmws prepare()')?.length ? median(samples.get('wasmws prepare()')) : NaN;
    for (const [name] of CASES) {
      const us = median(samples.get(name));
      rows.push({
        shape: burst === 1 ? 'one per turn' : `${burst} per turn`, clients: count, server: name,
        'CPU µs / delivered msg': us.toFixed(3), 'vs floor': (us / floor).toFixed(2) + '×', 'speed vs ws': (ws / us).toFixed(2) + '×',
        'vs prepare()': Number.isNaN(prepared) ? '' : (us / prepared).toFixed(2) + '×',
      });
    }
  }
}
console.table(rows);
