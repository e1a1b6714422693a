// npm run bench:broadcast — fan-out of one message to N clients (1,000 and 5,000):
// wasmws with a PreparedMessage, wasmws with a per-client send, and ws's documented
// broadcast loop (`wss.clients.forEach(c => c.send(data))`), as server CPU per delivered
// message, in one run. Clients live in a child process (bench/broadcast-clients.mjs).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { WebSocketServer } from 'ws';
import { prepare, serve } from '../dist/index.js';

const MESSAGES = 50;
const payload = JSON.stringify({ user: 'zoë', text: 'hello everyone, this is a chat line of typical size' });

async function withClients(port, count, run) {
  const child = spawn(process.execPath, [new URL('./broadcast-clients.mjs', import.meta.url).pathname, String(port), String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const wait = (line) => new Promise((resolve) => {
    const check = () => { if (lines.includes(line)) resolve(); else setTimeout(check, 5); };
    check();
  });
  child.stdout.on('data', (d) => lines.push(...d.toString().trim().split('\n')));
  await wait('ready');
  child.stdin.write(`expect ${MESSAGES}\n`);
  const result = await run(() => wait('done'));
  child.kill();
  return result;
}

async function measure(broadcast, done) {
  await new Promise((r) => setTimeout(r, 200)); // let connection set-up settle
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    broadcast();
    await new Promise((r) => setImmediate(r));
  }
  await done();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

async function wasmwsCase(count, mode) {
  const conns = new Set();
  const server = await serve({ port: 0, compression: false, pingIntervalMs: 0 }, (conn) => { conns.add(conn); });
  const result = await withClients(server.address().port, count, async (done) => {
    while (conns.size < count) await new Promise((r) => setTimeout(r, 10));
    return measure(() => {
      if (mode === 'prepared') {
        const message = prepare(payload);
        for (const conn of conns) conn.send(message).catch(() => {});
      } else {
        for (const conn of conns) conn.send(payload).catch(() => {});
      }
    }, done);
  });
  await server.close({ timeoutMs: 1000 });
  return result;
}

async function wsCase(count) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const result = await withClients(wss.address().port, count, async (done) => {
    while (wss.clients.size < count) await new Promise((r) => setTimeout(r, 10));
    return measure(() => {
      wss.clients.forEach((client) => { if (client.readyState === 1) client.send(payload); });
    }, done);
  });
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
  return result;
}

console.log(`broadcast fan-out — ${os.cpus()[0]?.model} × ${os.cpus().length}, Node ${process.version}, ${MESSAGES} messages of ${payload.length} B`);
const rows = [];
for (const count of [1000, 5000]) {
  const ws = await wsCase(count);
  const prepared = await wasmwsCase(count, 'prepared');
  const perClient = await wasmwsCase(count, 'send');
  for (const [name, r] of [['ws broadcast loop', ws], ['wasmws prepare()', prepared], ['wasmws send() per client', perClient]]) {
    const usPerMessage = (r.cpuMs * 1000) / (count * MESSAGES);
    rows.push({ clients: count, server: name, 'server CPU µs / delivered message': usPerMessage.toFixed(3), 'vs ws': (((ws.cpuMs * 1000) / (count * MESSAGES)) / usPerMessage).toFixed(2) + '×', 'wall ms': r.wallMs.toFixed(0) });
  }
}
console.table(rows);
