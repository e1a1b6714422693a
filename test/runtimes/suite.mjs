// The runtime suite: plain ESM against the built package, run by node, deno and bun alike
// (no test framework inside the child runtimes). Usage:
//
//   <runtime> suite.mjs self <codec> [cert.pem key.pem]
//                                            everything below in this runtime, both roles;
//                                            with a certificate, wss:// through node:https too
//   <runtime> suite.mjs server <codec>        an echo server; prints "PORT <n>"
//   <runtime> suite.mjs client <url> <codec> [compression-optional]
//                                            the client checks against an echo server
//                                            (compression-optional: the server may decline
//                                            permessage-deflate, as Deno.serve does)
//
// Prints "OK <runtime> <what>" when every check passed; exits non-zero with a reason otherwise.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { dial, prepare, serve, Upgrader, WebSocket } from 'wasmws';
import { selectCodec } from 'wasmws/codec';
import { bytes, checker, same } from './checks.mjs';

const runtime = typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`;
const [mode, ...args] = process.argv.slice(2);
// WASMWS_TRANSPORT=node|native: the sockets serve() and dial() use (native: Bun's and Deno's own).
const transport = process.env.WASMWS_TRANSPORT || undefined;
const check = checker(runtime);

async function echo(conn) {
  try {
    for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' });
  } catch { /* closed */ }
}

/**
 * permessage-deflate around the sync zlib limits (64 KiB to deflate, 16 KiB compressed to
 * inflate): JSON-like text and random bytes below and above them, sent in one turn so that
 * messages done now follow messages still in zlib's threadpool, echoed in order.
 */
async function deflateChecks(conn) {
  const json = (size, seed) => {
    let s = '';
    for (let i = 0; s.length < size; i++) s += `{"id":${seed + i},"name":"user${i % 97}"},`;
    return s.slice(0, size);
  };
  // Incompressible bytes (xorshift): past 16 KiB they are inflated in the threadpool.
  const noise = (size, seed) => {
    const out = new Uint8Array(size);
    let x = seed | 1;
    for (let i = 0; i < size; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
    return out;
  };
  const messages = [];
  for (const size of [1024, 16384, 65535, 65536, 65537, 200000]) {
    messages.push(json(size, size), noise(size, size + 1), bytes(size, size), json(size, size + 2));
  }
  await Promise.all(messages.map((m) => conn.send(m)));
  for (const m of messages) {
    const got = await conn.read();
    const ok = typeof m === 'string' ? got.type === 'text' && got.text() === m : got.type === 'binary' && same(got.data, m);
    check(ok, `deflate echo of ${typeof m === 'string' ? 'text' : 'binary'} ${m.length}`);
  }
}

/** The client script: every check against an echo server at `url`. */
async function clientChecks(url, codec, compressionOptional = false) {
  for (const compression of [false, true]) {
    const conn = await dial(url, { codec, compression, maxMessageBytes: 64 << 20, transport });
    const agreed = conn.extensions.startsWith('permessage-deflate');
    check(agreed === compression || (compressionOptional && !agreed), `extensions ${JSON.stringify(conn.extensions)} with compression ${compression}`);
    await conn.send('héllo ✓');
    check((await conn.read()).text() === 'héllo ✓', 'text echo');
    for (const size of [0, 125, 126, 65536, 4 << 20]) {
      const data = bytes(size, size);
      await conn.send(data);
      const m = await conn.read();
      check(m.type === 'binary' && same(m.data, data), `binary echo of ${size} bytes`);
    }
    if (agreed) await deflateChecks(conn);
    const writer = await conn.nextWriter('text');
    await writer.write('frag');
    await writer.write('mented');
    await writer.close();
    check((await conn.read()).text() === 'fragmented', 'fragmented message');
    const prepared = prepare('prepared message '.repeat(100));
    await conn.send(prepared);
    check((await conn.read()).text() === 'prepared message '.repeat(100), 'prepared message');
    check((await conn.ping('rtt')) >= 0, 'ping');
    const info = await conn.close(4000, 'bye');
    check(info.code === 4000 && info.wasClean, `close ${JSON.stringify(info)}`);
  }
  const reader = await dial(url, { codec, transport });
  await reader.send(bytes(3 << 20));
  const stream = await reader.nextReader();
  let total = 0;
  for await (const chunk of stream) total += chunk.length;
  check(total === 3 << 20, `streamed ${total} bytes`);
  await reader.close();
  const ws = new WebSocket(url, [], { codec });
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`${runtime}: WebSocket failed`)); });
  ws.send('whatwg');
  const reply = await new Promise((resolve) => { ws.onmessage = (e) => resolve(e.data); });
  check(reply === 'whatwg', 'WebSocket class echo');
  const closed = new Promise((resolve) => { ws.onclose = resolve; });
  ws.close(1000);
  check((await closed).code === 1000, 'WebSocket close');
}

/**
 * What a transport must get right beyond echoes: a reader that does not read holds the
 * sender back (bufferedAmount bounded, sends wait), a peer gone mid-message fails the
 * connection (1006) without a hang, a silent client gets the handshake timeout's 408.
 */
async function transportChecks(codec) {
  let serverConn;
  const server = await serve({ port: 0, codec, transport, maxMessageBytes: 64 << 20 }, (conn) => { serverConn = conn; });
  const url = `ws://127.0.0.1:${server.address().port}/`;
  const slow = await dial(url, { codec, transport, compression: false, maxReadBufferBytes: 1 << 20 });
  for (let i = 0; i < 200 && !serverConn; i++) await new Promise((r) => setTimeout(r, 5));
  // The client reads nothing: after its buffer and the kernel's fill, the server's awaited sends stop.
  const chunk = bytes(256 << 10);
  let sent = 0;
  let maxBuffered = 0;
  const sending = (async () => { for (;;) { await serverConn.send(chunk); sent++; maxBuffered = Math.max(maxBuffered, serverConn.bufferedAmount); } })().catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  const stalled = sent;
  await new Promise((r) => setTimeout(r, 300));
  check(sent === stalled && sent < 400, `a reader that does not read holds sends back (${sent} sends of 256 KiB went)`);
  check(maxBuffered < 4 << 20, `bufferedAmount stays bounded (${maxBuffered})`);
  let got = 0;
  while (got < sent) { check(same((await slow.read()).data, chunk), 'held-back message intact'); got++; }
  slow.terminate();
  await sending;
  // A peer that goes away mid-message: the other side sees 1006, not a hang.
  const { connect: netConnect } = await import('node:net');
  const raw = netConnect(server.address().port, '127.0.0.1');
  raw.on('error', () => {});
  serverConn = undefined;
  raw.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  for (let i = 0; i < 200 && !serverConn; i++) await new Promise((r) => setTimeout(r, 5));
  check(serverConn, 'raw client upgraded');
  raw.write(new Uint8Array([0x82, 0xfe, 0xff, 0xff, 1, 2, 3, 4, 9, 9, 9])); // a 64 KiB frame, 3 bytes of it
  await new Promise((r) => setTimeout(r, 50));
  raw.end();
  const info = await Promise.race([serverConn.closed, new Promise((r) => setTimeout(() => r('hang'), 5000))]);
  check(info !== 'hang' && info.code === 1006 && !info.wasClean, `peer gone mid-message: ${JSON.stringify(info)}`);
  raw.destroy();
  // A send from inside a send's write callback (ws's send(data, cb) chains): nothing lost.
  // Bun's write completes inside write(); its callback must still come later, as node:net's.
  serverConn = undefined;
  const chained = await dial(url, { codec, transport });
  for (let i = 0; i < 200 && !serverConn; i++) await new Promise((r) => setTimeout(r, 5));
  for (const [from, to] of [[serverConn, chained], [chained, serverConn]]) {
    let n = 0;
    const next = (error) => { if (!error && n < 20) from.send(`c${n++}`, {}, next); };
    next();
    for (let i = 0; i < 20; i++) {
      const m = await Promise.race([to.read(), new Promise((r) => setTimeout(() => r('hang'), 3000))]);
      check(m !== 'hang' && m.text() === `c${i}`, `message ${i} sent from a write callback: ${m === 'hang' ? 'lost' : m.text()}`);
    }
  }
  chained.terminate();
  await server.close({ timeoutMs: 500 });
  // The handshake deadline: a client that sends half a head gets 408 and is closed.
  const slowHead = await serve({ port: 0, codec, transport, handshakeTimeoutMs: 200 }, () => {});
  const silent = netConnect(slowHead.address().port, '127.0.0.1');
  silent.on('error', () => {});
  let answer = '';
  silent.on('data', (d) => { answer += d.toString(); });
  const ended = new Promise((r) => silent.on('close', r));
  silent.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await Promise.race([ended, new Promise((r) => setTimeout(r, 5000))]);
  check(answer.startsWith('HTTP/1.1 408'), `handshake timeout answered ${JSON.stringify(answer.slice(0, 40))}`);
  await slowHead.close({ timeoutMs: 500 });
}

if (mode === 'server') {
  const [codec] = args;
  const server = await serve({ port: 0, codec, maxMessageBytes: 64 << 20, transport }, echo);
  console.log(`PORT ${server.address().port}`);
  const stop = () => server.close({ timeoutMs: 500 }).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (mode === 'client') {
  const [url, codec, optional] = args;
  await clientChecks(url, codec, optional === 'compression-optional');
  console.log(`OK ${runtime} client ${codec}`);
  process.exit(0);
} else if (mode === 'self') {
  const [codec] = args;
  check(selectCodec(codec).name === (codec === 'js' ? 'js' : 'wasm'), `codec ${codec} selected`);
  // serve() in this runtime, our client in this runtime.
  const server = await serve({ port: 0, codec, maxMessageBytes: 64 << 20, transport }, echo);
  await clientChecks(`ws://127.0.0.1:${server.address().port}/`, codec);
  await server.close({ timeoutMs: 500 });
  // Header bytes read as ISO-8859-1 in every runtime (outside Node, TextDecoder's 'latin1'
  // is windows-1252, which would turn 0x80 into '€').
  let obsText;
  await transportChecks(codec);
  const headers = await serve({ port: 0, codec, transport }, (conn) => { obsText = conn.request.headers['x-obs']; void conn.close(); });
  const raw = connect(headers.address().port, '127.0.0.1');
  raw.on('error', () => {});
  raw.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Obs: \x80\xe9\r\n\r\n', 'latin1'));
  for (let i = 0; i < 200 && obsText === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  check(obsText === '\u0080\u00e9', `header bytes 80 e9 read as ${JSON.stringify(obsText)}`);
  raw.destroy();
  await headers.close({ timeoutMs: 500 });
  // Upgrader on this runtime's node:http.
  const upgrader = new Upgrader({ codec, maxMessageBytes: 64 << 20 });
  const http = createServer((_req, res) => res.end('plain'));
  http.on('upgrade', (req, socket, head) => { const conn = upgrader.upgrade(req, socket, head); if (conn) void echo(conn); });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  await clientChecks(`ws://127.0.0.1:${http.address().port}/`, codec);
  http.close();
  // wss:// through this runtime's node:https and node:tls.
  const [certFile, keyFile] = args.slice(1);
  if (certFile) {
    const cert = readFileSync(certFile);
    const https = createHttpsServer({ cert, key: readFileSync(keyFile) });
    https.on('upgrade', (req, socket, head) => { const conn = upgrader.upgrade(req, socket, head); if (conn) void echo(conn); });
    await new Promise((resolve) => https.listen(0, '127.0.0.1', resolve));
    const conn = await dial(`wss://localhost:${https.address().port}/`, { codec, tls: { ca: cert } });
    await conn.send('over tls');
    check((await conn.read()).text() === 'over tls', 'wss echo');
    await conn.close();
    https.close();
  }
  console.log(`OK ${runtime} self ${codec}${certFile ? ' +wss' : ''}${transport ? ` transport=${transport}` : ''}`);
  process.exit(0);
} else {
  console.error('usage: suite.mjs self|server|client ...');
  process.exit(2);
}
