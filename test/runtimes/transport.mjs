// serve() and dial() on one transport, in whichever runtime runs this (no test framework):
//
//   <runtime> transport.mjs <native|node>
//
// Echo of 32 B..1 MiB with compression off and on, a slow reader (bounded memory, nothing
// lost), a peer gone mid-message (1006 on both sides), close codes both ways, a protocol
// failure's 1002, and the handshake deadlines of serve() and dial(). Prints "OK ..." when
// every check passed; exits non-zero with a reason otherwise.
import { createHash } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { dial, serve } from 'wasmws';
import { bytes, checker, same } from './checks.mjs';

const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const transport = process.argv[2];
const check = checker(`${runtime} ${transport}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (promise, ms, what) => Promise.race([promise, sleep(ms).then(() => { throw new Error(`${what}: not within ${ms} ms`); })]);

/** A raw TCP client that sends `request` and collects what comes back until the server closes. */
function rawExchange(port, chunks, { destroyAfterMs } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const got = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(got)));
    socket.on('connect', async () => {
      for (const c of chunks) { socket.write(c); await sleep(20); }
      if (destroyAfterMs !== undefined) setTimeout(() => socket.destroy(), destroyAfterMs);
    });
    setTimeout(() => reject(new Error('raw exchange did not end')), 10_000);
  });
}

const UPGRADE = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

async function main() {
  const serverConns = [];
  const server = await serve({ port: 0, transport, handshakeTimeoutMs: 300, maxMessageBytes: 64 << 20 }, async (conn) => {
    serverConns.push(conn);
    try {
      for await (const m of conn) {
        if (m.type === 'text' && m.text().startsWith('flood ')) {
          const [, count, size] = m.text().split(' ').map(Number);
          for (let i = 0; i < count; i++) await conn.send(bytes(size, i));
          continue;
        }
        if (m.type === 'text' && m.text().startsWith('burst ')) {
          // One turn of many frames (small, 64 KiB, 300 KiB) not awaited, then our close:
          // the socket's corked, joined writes must arrive whole, in order, before the FIN.
          const sizes = m.text().slice(6).split(',').map(Number);
          const sent = sizes.map((size, i) => conn.send(bytes(size, i)));
          await Promise.all(sent);
          await conn.close(4003, 'burst done');
          return;
        }
        if (m.type === 'text' && m.text().startsWith('close ')) {
          await conn.close(Number(m.text().slice(6)), 'server says');
          return;
        }
        await conn.send(m.data, { binary: m.type === 'binary' });
      }
    } catch { /* the peer went */ }
  });
  const { port } = server.address();
  const url = `ws://127.0.0.1:${port}/`;

  // Echo, compression off and on.
  for (const compression of [false, true]) {
    const conn = await dial(url, { transport, compression, maxMessageBytes: 64 << 20 });
    check(conn.extensions.startsWith('permessage-deflate') === compression, `extensions ${conn.extensions}`);
    for (const size of [32, 1024, 65536, 1 << 20]) {
      const data = bytes(size, size + (compression ? 1 : 0));
      for (let i = 0; i < 3; i++) await conn.send(data); // pipelined: three in one turn's reach
      for (let i = 0; i < 3; i++) {
        const m = await conn.read();
        check(m.type === 'binary' && same(m.data, data), `echo of ${size} bytes (compression ${compression})`);
      }
    }
    const info = await conn.close(4000, 'bye');
    check(info.code === 4000 && info.reason === 'bye' && info.wasClean, `client close ${JSON.stringify(info)}`);
  }

  // A slow reader: the server awaits every send; nothing may pile up beyond the high-water
  // marks while the client does not read, and everything arrives in order once it does.
  {
    const count = 64, size = 256 * 1024;
    // The client stops reading its socket past 512 KiB unread: the server's writes back up.
    const conn = await dial(url, { transport, compression: false, maxMessageBytes: 64 << 20, maxReadBufferBytes: 512 * 1024 });
    await conn.send(`flood ${count} ${size}`);
    const serverConn = await withTimeout((async () => { while (serverConns.length === 0 || serverConns.at(-1).readyState !== 'open') await sleep(5); return serverConns.at(-1); })(), 2000, 'server conn');
    let maxBuffered = 0;
    for (let t = 0; t < 20; t++) {
      await sleep(25);
      maxBuffered = Math.max(maxBuffered, serverConn.bufferedAmount);
    }
    check(maxBuffered <= 4 * size, `server buffered ${maxBuffered} bytes for a reader that does not read`);
    for (let i = 0; i < count; i++) {
      const m = await withTimeout(conn.read(), 10_000, `flood message ${i}`);
      check(same(m.data, bytes(size, i)), `flood message ${i} intact and in order`);
      if (i % 16 === 0) await sleep(20); // still slow
    }
    await conn.close();
  }

  // A burst of frames in one server turn, then the server's close right behind them.
  for (const compression of [false, true]) {
    const sizes = [...Array(200).keys()].map((i) => (i % 50 === 7 ? 300 * 1024 : i % 10 === 3 ? 65536 : 1 + (i % 40)));
    const conn = await dial(url, { transport, compression, maxMessageBytes: 64 << 20 });
    await conn.send(`burst ${sizes.join(',')}`);
    let intact = 0;
    for (let i = 0; i < sizes.length; i++) {
      const m = await withTimeout(conn.read(), 10_000, `burst message ${i}`);
      if (m.type === 'binary' && same(m.data, bytes(sizes[i], i))) intact++;
    }
    check(intact === sizes.length, `burst: ${intact} of ${sizes.length} intact and in order (compression ${compression})`);
    const info = await withTimeout(conn.closed, 3000, 'burst close');
    check(info.code === 4003 && info.wasClean, `burst close ${JSON.stringify(info)}`);
  }

  // Server-initiated close code.
  {
    const conn = await dial(url, { transport });
    await conn.send('close 4002');
    const info = await withTimeout(conn.closed, 3000, 'server close');
    check(info.code === 4002 && info.reason === 'server says' && info.wasClean, `server close ${JSON.stringify(info)}`);
  }

  // A client gone mid-message: the server's connection ends with 1006, not clean.
  {
    const before = serverConns.length;
    const partial = new Uint8Array([0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4, 9, 9, 9]); // 256-byte masked frame, 3 bytes of it
    const reply = await rawExchange(port, [UPGRADE, partial], { destroyAfterMs: 50 });
    check(reply.toString('latin1').startsWith('HTTP/1.1 101'), 'raw client upgraded');
    const conn = serverConns[before];
    const info = await withTimeout(conn.closed, 3000, 'server side of a vanished client');
    check(info.code === 1006 && !info.wasClean, `vanished client ${JSON.stringify(info)}`);
  }

  // A protocol error (an unmasked client frame): 1002 in the close frame the server sends, then TCP closes.
  {
    const reply = await rawExchange(port, [UPGRADE, new Uint8Array([0x81, 0x02, 0x68, 0x69])]);
    const at = reply.indexOf('\r\n\r\n') + 4;
    check(reply[at] === 0x88 && reply.readUInt16BE(at + 2) === 1002, `unmasked frame answered by ${reply.subarray(at, at + 4).toString('hex')}`);
  }

  // serve()'s handshake deadline: a client that sends nothing gets 408 and the socket closes.
  {
    const started = Date.now();
    const reply = await rawExchange(port, ['GET / HTTP/1.1\r\n']);
    check(reply.toString('latin1').startsWith('HTTP/1.1 408'), `slow head answered by ${JSON.stringify(reply.toString('latin1').slice(0, 20))}`);
    check(Date.now() - started < 3000, 'slow head closed');
  }

  // A server gone mid-message: the client's connection ends with 1006. And dial()'s own
  // deadline against a server that never answers.
  {
    const raw = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (head) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(head.toString('latin1'))?.[1];
        if (key === undefined) return; // the silent one
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        socket.write(new Uint8Array([0x82, 0x7e, 0x01, 0x00, 1, 2, 3]));
        setTimeout(() => socket.destroy(), 50);
      });
    });
    await new Promise((r) => raw.listen(0, '127.0.0.1', r));
    const rawUrl = `ws://127.0.0.1:${raw.address().port}/`;
    const conn = await dial(rawUrl, { transport, compression: false });
    const info = await withTimeout(conn.closed, 3000, 'client side of a vanished server');
    check(info.code === 1006 && !info.wasClean, `vanished server ${JSON.stringify(info)}`);
    const silent = createServer((socket) => socket.on('error', () => {}));
    await new Promise((r) => silent.listen(0, '127.0.0.1', r));
    const error = await dial(`ws://127.0.0.1:${silent.address().port}/`, { transport, handshakeTimeoutMs: 300 }).catch((e) => e);
    check(error?.name === 'TimeoutError', `dial deadline: ${error}`);
    raw.close();
    silent.close();
  }

  await server.close({ timeoutMs: 1000 });
  console.log(`OK ${runtime} ${transport}`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
