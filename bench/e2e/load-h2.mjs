// The load client of the HTTP/2 shape (see http2.mjs):
//   node load-h2.mjs <port> <size> <conns> <seconds> <h2|h1> <cert.pem>
// <conns> wasmws clients (dial over wss://, as extended CONNECT streams of one HTTP/2
// session, or one TLS connection each over HTTP/1.1), 16 messages in flight each, echoed.
// Prints "MEASURE" when the measured window starts, then one JSON line { messages, seconds }.
import { readFileSync } from 'node:fs';
import { dial } from '../../dist/index.js';

const [port, size, conns, seconds, mode, certFile] = process.argv.slice(2);
const payload = new Uint8Array(Number(size)).fill(7);
const options = { tls: { ca: readFileSync(certFile) }, http2: mode === 'h2', compression: false, maxMessageBytes: 64 << 20 };
let messages = 0;
let running = true;
const clients = await Promise.all(Array.from({ length: Number(conns) }, () => dial(`wss://localhost:${port}/`, options)));
for (const conn of clients) {
  void (async () => {
    try {
      for await (const _ of conn) {
        messages++;
        if (running) conn.send(payload).catch(() => {});
      }
    } catch { /* closed */ }
  })();
  for (let i = 0; i < 16; i++) conn.send(payload).catch(() => {});
}
await new Promise((r) => setTimeout(r, 1000)); // warm-up
console.log('MEASURE');
const started = performance.now();
const counted = messages;
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const result = { messages: messages - counted, seconds: (performance.now() - started) / 1000 };
running = false;
for (const c of clients) c.terminate();
console.log(JSON.stringify(result));
process.exit(0);
