// An echo server for the end-to-end bench, one of:
//   node server.mjs wasmws <auto|wasm|js> [await|callback] [deflate] [node-net]
//                                              wasmws serve(); "await": the README's handler,
//                                              each send awaited; "callback": a CallbackHandler
//                                              ({ message }, no promise per message); neither:
//                                              for await, sends not awaited; "deflate": permessage-deflate
//   node server.mjs ws                         ws (with bufferutil unless WS_NO_BUFFER_UTIL=1)
//   node server.mjs wasmws-ws [cb]             wasmws/ws, the ws-compatible façade, with ws's echo code (cb: sends with a callback; ws takes it too)
//   bun  server.mjs bun                        Bun.serve (uWebSockets), the native ceiling
//   node server.mjs net                        a bare node:net socket per connection (the memory floor)
//   node server.mjs net-echo                   no WebSocket: echoes every read (the request/response floor)
//   (ws and bun take "deflate" too)
//   node server.mjs wasmws-tls <codec> <key.pem> <cert.pem>   serve({ tls, http2: true }): h2 and HTTP/1.1 on one port
// Prints "PORT <n>". On stdin, "mem" prints "RSS <bytes>" after a full GC.
import { createRequire } from 'node:module';

const [kind, codec] = process.argv.slice(2);
// "deflate": permessage-deflate offered by the server (the load client asks for it too).
const deflate = process.argv.includes('deflate');
const require = createRequire(import.meta.url);
let port = 0;

if (kind === 'wasmws') {
  const { serve } = await import('../../dist/index.js');
  // "node-net": serve() on node:net even on Deno and Bun; otherwise the runtime's own sockets.
  const transport = process.argv.includes('node-net') ? 'node' : 'native';
  const options = { port: 0, codec, compression: deflate, pingIntervalMs: 0, maxMessageBytes: 64 << 20, transport };
  // "await": the README's own idiom, each send awaited (backpressure); without it, sends are not awaited.
  const binary = { binary: true };
  const text = { binary: false };
  const server = await serve(options, process.argv.includes('callback')
    // The fast path: messages straight from the frame reader, sends not awaited (drain is
    // where a real application would resume after backpressure).
    ? { message(conn, m) { conn.send(m.data, m.type === 'binary' ? binary : text); } }
    : process.argv.includes('await')
    ? async (conn) => {
      try { for await (const m of conn) await conn.send(m.data, { binary: m.type === 'binary' }); } catch { /* closed */ }
    }
    : async (conn) => {
      try { for await (const m of conn) conn.send(m.data, { binary: m.type === 'binary' }).catch(() => {}); } catch { /* closed */ }
    });
  port = server.address().port;
} else if (kind === 'wasmws-tls') {
  const { serve } = await import('../../dist/index.js');
  const { readFileSync } = await import('node:fs');
  const [keyFile, certFile] = process.argv.slice(4);
  const tls = { key: readFileSync(keyFile), cert: readFileSync(certFile) };
  const server = await serve({ port: 0, codec, tls, http2: true, compression: false, pingIntervalMs: 0, maxMessageBytes: 64 << 20 }, async (conn) => {
    try { for await (const m of conn) conn.send(m.data, { binary: m.type === 'binary' }).catch(() => {}); } catch { /* closed */ }
  });
  port = server.address().port;
} else if (kind === 'ws' || kind === 'wasmws-ws') {
  // The same application code on both: only the import differs (the migration's step 1).
  const { WebSocketServer } = kind === 'ws' ? require('ws') : await import('../../dist/ws.js');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate, maxPayload: 64 << 20 });
  // "cb": each send with a callback (told once written), as socket.io and crossws send.
  const written = process.argv.includes('cb') ? () => {} : undefined;
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }, written)));
  await new Promise((r) => wss.once('listening', r));
  port = wss.address().port;
} else if (kind === 'bun') {
  // Bun's ws.send(data, compress) compresses only when asked: with deflate, ask (as ws and wasmws do by default).
  const server = Bun.serve({
    port: 0, hostname: '127.0.0.1',
    fetch(req, srv) { return srv.upgrade(req) ? undefined : new Response('', { status: 426 }); },
    websocket: { perMessageDeflate: deflate, maxPayloadLength: 64 << 20, idleTimeout: 0, message(ws, message) { ws.send(message, deflate); } },
  });
  port = server.port;
} else if (kind === 'net-echo') {
  // The floor of request/response: no WebSocket at all, every read written back as it is.
  const { createServer } = await import('node:net');
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  port = server.address().port;
} else if (kind === 'net') {
  // The floor for idle memory: a bare node:net socket that answered the handshake and holds on.
  const { createServer } = await import('node:net');
  const { createHash } = await import('node:crypto');
  const server = createServer((socket) => {
    socket.once('data', (head) => {
      const key = /sec-websocket-key: *([^\r\n]+)/i.exec(head.toString('latin1'))?.[1] ?? '';
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      socket.on('data', () => {});
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  port = server.address().port;
} else {
  throw new Error(`unknown server ${kind}`);
}

console.log(`PORT ${port}`);
process.stdin.on('data', async (d) => {
  if (!d.toString().includes('mem')) return;
  for (let i = 0; i < 3; i++) {
    if (typeof Bun !== 'undefined') Bun.gc(true);
    else globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`RSS ${process.memoryUsage().rss}`);
});
// A clean exit on SIGINT lets --cpu-prof write its profile (the bench itself sends SIGTERM).
process.on('SIGINT', () => process.exit(0));
