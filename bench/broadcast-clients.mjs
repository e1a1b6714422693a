// Child process of broadcast.bench.mjs: opens N raw WebSocket clients to PORT and counts the
// frames each receives, with a minimal parser (unmasked server frames), so the clients cost
// the measured server nothing. Protocol on stdin/stdout: prints "ready", then "done" once
// every client has received EXPECT frames (sent as "expect N" on stdin).
import { connect } from 'node:net';

const [port, count] = process.argv.slice(2).map(Number);
let expected = Infinity;
let complete = 0;
const counts = new Uint32Array(count);

function client(index) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = true;
    let pending = Buffer.alloc(0);
    let skip = 0;
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    socket.on('data', (chunk) => {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      if (head) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) { pending = buf; return; }
        head = false;
        buf = buf.subarray(end + 4);
        resolve();
      }
      let at = Math.min(skip, buf.length);
      skip -= at;
      while (skip === 0 && at + 2 <= buf.length) {
        const len7 = buf[at + 1] & 0x7f;
        const headerLength = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        if (at + headerLength > buf.length) break;
        const length = len7 === 126 ? buf.readUInt16BE(at + 2) : len7 === 127 ? Number(buf.readBigUInt64BE(at + 2)) : len7;
        if ((buf[at] & 0x0f) < 8 && ++counts[index] === expected) { if (++complete === count) process.stdout.write('done\n'); }
        const end = at + headerLength + length;
        if (end > buf.length) { skip = end - buf.length; at = buf.length; break; }
        at = end;
      }
      pending = at < buf.length ? buf.subarray(at) : Buffer.alloc(0);
    });
  });
}

for (let i = 0; i < count; i += 200) await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => client(i + k)));
process.stdout.write('ready\n');
process.stdin.on('data', (d) => {
  const m = /expect (\d+)/.exec(d.toString());
  if (m) expected = Number(m[1]);
});
