// The load client of the end-to-end bench (its own process, pinned to its own core):
//
//   node load.mjs pipelined <port> <size> <conns> <seconds>
//     raw sockets; each connection writes K = 16 masked frames per TCP write and waits for
//     the 16 echoes, so the server is the bottleneck and the client costs little per message.
//   node load.mjs reqres <port> <size> <conns> <seconds>
//     ws's client, one message per write, 16 in flight per connection.
//   node load.mjs reqres-raw <port> <size> <conns> <seconds>
//     no WebSocket: raw bytes to the net-echo server, one message per write, 16 in flight.
//   node load.mjs deflate-pipelined|deflate-reqres <port> <size> <conns> <seconds>
//     the same two shapes with permessage-deflate and JSON-like text: pipelined frames are
//     compressed once, each alone (client_no_context_takeover); reqres is ws's client with
//     perMessageDeflate (context takeover both ways).
//   node load.mjs reqres-wasmws <port> <size> <conns> <seconds>
//     the same with wasmws's client (dial), to compare the clients' own CPU (masking included).
//   node load.mjs steady <port> <conns> <seconds>
//     <conns> ws clients each sending one 32-byte message per second (spread over the second).
//   node load.mjs idle <port> <conns>        opens <conns> connections and holds them
//   node load.mjs handshakes <port> <count>  opens and closes <count> connections, 50 at a time
//
// Prints one JSON line: { messages, seconds, p50Ms, p99Ms } (or { opened } / { perSecond }).
import { connect } from 'node:net';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { jsonText } from './text.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [shape, portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const K = 16;
const latencies = [];

function handshake(socket, extensions) {
  return new Promise((resolve, reject) => {
    const offer = extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '';
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${offer}\r\n`);
    let buf = Buffer.alloc(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ response: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function openRaw(extensions) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('connect', () => handshake(socket, extensions).then((rest) => {
      if (extensions && !/sec-websocket-extensions: *permessage-deflate/i.test(rest.response)) reject(new Error('permessage-deflate was not agreed'));
      else resolve({ socket, rest: rest.rest });
    }, reject));
    socket.once('error', reject);
  });
}

/** One masked frame (masked with a zero key: still a masked frame). `first`: its first byte. */
function maskedFrame(first, payload) {
  const size = payload.length;
  const header = size < 126 ? 6 : size < 65536 ? 8 : 14;
  const frame = Buffer.alloc(header + size);
  frame[0] = first;
  if (size < 126) frame[1] = 0x80 | size;
  else if (size < 65536) { frame[1] = 0x80 | 126; frame.writeUInt16BE(size, 2); }
  else { frame[1] = 0x80 | 127; frame.writeBigUInt64BE(BigInt(size), 2); }
  frame.set(payload, header);
  return frame;
}

/** K masked binary frames of `size` bytes in one buffer. */
function batch(size) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  return Buffer.concat(Array.from({ length: K }, () => maskedFrame(0x82, payload)));
}

/** K compressed text frames (RSV1) in one buffer: each compressed alone (client_no_context_takeover). */
function deflateBatch(size) {
  const compressed = deflateRawSync(Buffer.from(jsonText(size)), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const payload = compressed.subarray(0, compressed.length - 4); // the 00 00 ff ff tail, RFC 7692 §7.2.1
  return Buffer.concat(Array.from({ length: K }, () => maskedFrame(0xc1, payload)));
}

/** Counts complete server frames in a stream of chunks (unmasked, any size). */
function frameCounter(onFrames) {
  let pending = Buffer.alloc(0);
  let skip = 0;
  return (chunk) => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = Math.min(skip, buf.length);
    skip -= at;
    let frames = 0;
    while (skip === 0 && at + 2 <= buf.length) {
      const len7 = buf[at + 1] & 0x7f;
      const h = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      if (at + h > buf.length) break;
      const len = len7 === 126 ? buf.readUInt16BE(at + 2) : len7 === 127 ? Number(buf.readBigUInt64BE(at + 2)) : len7;
      frames++;
      const end = at + h + len;
      if (end > buf.length) { skip = end - buf.length; at = buf.length; break; }
      at = end;
    }
    pending = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
    if (frames) onFrames(frames);
  };
}

async function pipelined(size, conns, seconds, compressed = false) {
  const payload = compressed ? deflateBatch(size) : batch(size);
  let messages = 0;
  let running = true;
  await Promise.all(Array.from({ length: conns }, async () => {
    const { socket } = await openRaw(compressed ? 'permessage-deflate; client_no_context_takeover' : undefined);
    let outstanding = 0;
    let sentAt = 0;
    const send = () => { outstanding = K; sentAt = performance.now(); socket.write(payload); };
    socket.on('data', frameCounter((n) => {
      outstanding -= n;
      messages += n;
      if (outstanding <= 0) {
        latencies.push(performance.now() - sentAt);
        if (running) send(); else socket.destroy();
      }
    }));
    send();
  }));
  return measureWindow(() => messages, seconds, () => { running = false; });
}

/** A warm-up (1 s), then "MEASURE" (the orchestrator samples server CPU), then the window. */
async function measureWindow(count, seconds, stop, warmupMs = 1000) {
  await new Promise((r) => setTimeout(r, warmupMs));
  latencies.length = 0;
  console.log('MEASURE');
  const started = performance.now();
  const counted = count();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const result = { messages: count() - counted, seconds: (performance.now() - started) / 1000 };
  stop();
  return result;
}

async function reqres(size, conns, seconds, compressed = false) {
  const WebSocket = require('ws');
  // Compressed: ws's client with perMessageDeflate (context takeover both ways), JSON-like text.
  const payload = compressed ? jsonText(size) : Buffer.alloc(size, 7);
  let messages = 0;
  let running = true;
  const sockets = await Promise.all(Array.from({ length: conns }, () => new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: compressed, maxPayload: 64 << 20 });
    ws.once('open', () => resolve(ws));
  })));
  for (const ws of sockets) {
    const sentAt = [];
    ws.on('message', () => {
      messages++;
      latencies.push(performance.now() - sentAt.shift());
      if (running) { sentAt.push(performance.now()); ws.send(payload); }
    });
    for (let i = 0; i < 16; i++) { sentAt.push(performance.now()); ws.send(payload); }
  }
  return measureWindow(() => messages, seconds, () => { running = false; for (const ws of sockets) ws.terminate(); });
}

/**
 * The floor of request/response: no WebSocket at all, against the net-echo server. Each
 * message is `size` raw bytes in one write, 16 in flight per connection, as reqres does.
 */
async function reqresRaw(size, conns, seconds) {
  const payload = Buffer.alloc(size, 7);
  let messages = 0;
  let running = true;
  const sockets = await Promise.all(Array.from({ length: conns }, () => new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  })));
  for (const socket of sockets) {
    const sentAt = [];
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
      while (received >= size) {
        received -= size;
        messages++;
        latencies.push(performance.now() - sentAt.shift());
        if (running) { sentAt.push(performance.now()); socket.write(payload); }
      }
    });
    socket.on('error', () => {});
    for (let i = 0; i < 16; i++) { sentAt.push(performance.now()); socket.write(payload); }
  }
  return measureWindow(() => messages, seconds, () => { running = false; for (const s of sockets) s.destroy(); });
}

async function reqresWasmws(size, conns, seconds) {
  const { dial } = await import('../../dist/index.js');
  const payload = new Uint8Array(size).fill(7);
  let messages = 0;
  let running = true;
  const clients = await Promise.all(Array.from({ length: conns }, () => dial(`ws://127.0.0.1:${port}/`, { compression: false, maxMessageBytes: 64 << 20 })));
  for (const conn of clients) {
    const sentAt = [];
    void (async () => {
      try {
        for await (const _ of conn) {
          messages++;
          latencies.push(performance.now() - sentAt.shift());
          if (running) { sentAt.push(performance.now()); conn.send(payload).catch(() => {}); }
        }
      } catch { /* closed */ }
    })();
    for (let i = 0; i < 16; i++) { sentAt.push(performance.now()); conn.send(payload).catch(() => {}); }
  }
  return measureWindow(() => messages, seconds, () => { running = false; for (const c of clients) c.terminate(); });
}

async function steady(conns, seconds) {
  const WebSocket = require('ws');
  const sockets = [];
  for (let i = 0; i < conns; i += 200) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(200, conns - i) }, () => new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      ws.once('open', () => resolve(ws));
    }))));
  }
  const payload = Buffer.alloc(32, 1);
  let messages = 0;
  const timers = sockets.map((ws) => {
    let sentAt = 0;
    ws.on('message', () => { messages++; latencies.push(performance.now() - sentAt); });
    const tick = () => { sentAt = performance.now(); ws.send(payload); };
    return setTimeout(function first() { tick(); timers.push(setInterval(tick, 1000)); }, Math.random() * 1000);
  });
  // 5 s of warm-up: the server must first work through 10,000 handshakes; the target is the
  // steady state, not the tail of the connection storm.
  return measureWindow(() => messages, seconds, () => { for (const t of timers) { clearTimeout(t); clearInterval(t); } for (const ws of sockets) ws.terminate(); }, 5000);
}

async function idle(conns) {
  const sockets = [];
  for (let i = 0; i < conns; i += 100) sockets.push(...await Promise.all(Array.from({ length: Math.min(100, conns - i) }, openRaw)));
  console.log(JSON.stringify({ opened: sockets.length }));
  await new Promise(() => {}); // held until killed
}

async function handshakes(count) {
  const started = performance.now();
  for (let i = 0; i < count; i += 50) {
    const batchOf = await Promise.all(Array.from({ length: Math.min(50, count - i) }, openRaw));
    for (const { socket } of batchOf) socket.destroy();
  }
  return { perSecond: count / ((performance.now() - started) / 1000) };
}

const percentile = (q) => { latencies.sort((a, b) => a - b); return latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN; };
let result;
if (shape === 'pipelined') result = await pipelined(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else if (shape === 'deflate-pipelined') result = await pipelined(Number(rest[0]), Number(rest[1]), Number(rest[2]), true);
else if (shape === 'reqres') result = await reqres(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else if (shape === 'deflate-reqres') result = await reqres(Number(rest[0]), Number(rest[1]), Number(rest[2]), true);
else if (shape === 'reqres-raw') result = await reqresRaw(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else if (shape === 'reqres-wasmws') result = await reqresWasmws(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else if (shape === 'steady') result = await steady(Number(rest[0]), Number(rest[1]));
else if (shape === 'idle') await idle(Number(rest[0]));
else if (shape === 'handshakes') result = await handshakes(Number(rest[0]));
console.log(JSON.stringify({ ...result, p50Ms: percentile(0.5), p99Ms: percentile(0.99) }));
process.exit(0);
