// npm run build && node bench/socketio/run.mjs — socket.io echo over the websocket transport,
// with socket.io's default engine (ws) and with wsEngine: wasmws/ws. The server runs in its
// own process; its CPU (from /proc) over the measured window, per message echoed, is the
// figure. Clients: socket.io-client in this process, 16 emits in flight per client.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 3);
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
const CLIENTS = 20;
const IN_FLIGHT = 16;
const TICK_MS = 10;

const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};

async function measure(engine, payload) {
  const child = spawn(process.execPath, [`${here}server.mjs`, engine], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.on('data', (d) => { const m = /PORT (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise((resolve) => {
    const s = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    s.once('connect', () => resolve(s));
  })));
  let counting = false;
  let echoed = 0;
  for (const s of sockets) {
    s.on('echo', (data) => { if (counting) echoed++; s.emit('echo', data); });
    for (let i = 0; i < IN_FLIGHT; i++) s.emit('echo', payload);
  }
  await new Promise((r) => setTimeout(r, 500)); // warm up
  counting = true;
  const start = cpuMs(child.pid);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const cpu = cpuMs(child.pid) - start;
  for (const s of sockets) s.disconnect();
  child.kill('SIGINT');
  return { messagesPerSecond: echoed / SECONDS, serverCpuUsPerMessage: (cpu * 1000) / echoed };
}

const payloads = [['32 B string', 'x'.repeat(32)], ['1 KiB string', 'x'.repeat(1024)], ['16 KiB binary', Buffer.alloc(16384, 1)]];
const rows = [];
for (const [label, payload] of payloads) {
  const samples = { ws: [], wasmws: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const engine of ['ws', 'wasmws']) samples[engine].push(await measure(engine, payload));
  }
  const median = (list) => [...list].sort((a, b) => a.serverCpuUsPerMessage - b.serverCpuUsPerMessage)[list.length >> 1];
  const ws = median(samples.ws);
  const ours = median(samples.wasmws);
  rows.push({
    payload: label,
    'ws µs/msg': ws.serverCpuUsPerMessage.toFixed(2), 'wasmws/ws µs/msg': ours.serverCpuUsPerMessage.toFixed(2),
    'wasmws/ws vs ws': (ours.serverCpuUsPerMessage / ws.serverCpuUsPerMessage).toFixed(2) + '×',
    'ws msg/s': Math.round(ws.messagesPerSecond), 'wasmws/ws msg/s': Math.round(ours.messagesPerSecond),
  });
}
console.log(`socket.io echo (websocket transport, ${CLIENTS} clients × ${IN_FLIGHT} in flight): server CPU per message, median of ${ROUNDS}`);
console.table(rows);
