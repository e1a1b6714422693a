// The floor of the compression shapes: zlib's own work per echoed message, in one process,
// no sockets. Per message: deflate the bytes and inflate them back, each with a persistent
// raw stream (context takeover) up to a sync flush (RFC 7692 §7.2.1). Node's zlib has no
// reusable synchronous stream (its sync path closes the handle), so this is the stream API
// every Node server uses; the CPU counted is the whole process's (threadpool included), as
// run.mjs counts a server's. Run pinned by run.mjs:
//   node zlib-floor.mjs <size> <seconds> [sync]
// "sync": one-shot zlib.deflateRawSync + inflateRawSync per message instead (no context
// takeover, a fresh zlib state each time: what a sync path without a reusable stream costs).
// "stream-sync": the same persistent streams (context takeover) run on this thread through
// the handle's writeSync, as wasmws does for messages up to 64 KiB (src/extensions/zlib-sync.ts).
// Prints one JSON line: { cpuUsPerMessage, messages }.
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { jsonText } from './text.mjs';

const [size, seconds] = process.argv.slice(2).map(Number);
const plain = Buffer.from(jsonText(size));
const TAIL = Buffer.from([0, 0, 0xff, 0xff]);
// Settings as the servers use them (wasmws: level 6, memLevel 5, 4 KiB chunks; the window 15 of a default offer).
const deflater = createDeflateRaw({ level: 6, memLevel: 5, windowBits: 15, chunkSize: 4096 });
const inflater = createInflateRaw({ windowBits: 15, chunkSize: 4096 });

/** Writes `data` to `stream` and resolves with its output up to a sync flush. */
function through(stream, data) {
  return new Promise((resolve) => {
    const parts = [];
    const onData = (chunk) => parts.push(chunk);
    stream.on('data', onData);
    stream.write(data);
    stream.flush(constants.Z_SYNC_FLUSH, () => { stream.off('data', onData); resolve(Buffer.concat(parts)); });
  });
}

const oneShot = process.argv.includes('sync');
const streamSync = process.argv.includes('stream-sync');
const scratch = new Uint8Array(64 * 1024);

/** `data` through `stream` on this thread up to a sync flush (the handle's internal writeSync). */
function throughSync(stream, data) {
  const handle = stream._handle;
  const state = stream._writeState;
  const parts = [];
  let inOff = 0;
  let inLen = data.length;
  for (;;) {
    handle.writeSync(constants.Z_SYNC_FLUSH, data, inOff, inLen, scratch, 0, scratch.length);
    const have = scratch.length - state[0];
    if (have > 0) parts.push(Buffer.from(scratch.slice(0, have)));
    inOff += inLen - state[1];
    inLen = state[1];
    if (state[0] !== 0) return Buffer.concat(parts);
  }
}
const syncOptions = { level: 6, memLevel: 5, windowBits: 15, finishFlush: constants.Z_SYNC_FLUSH };

async function echoOnce() {
  if (oneShot) {
    const inflated = inflateRawSync(deflateRawSync(plain, syncOptions), { finishFlush: constants.Z_SYNC_FLUSH });
    if (inflated.length !== plain.length) throw new Error('zlib floor: round trip lost bytes');
    return;
  }
  const compressed = streamSync ? throughSync(deflater, plain) : await through(deflater, plain);
  const wire = compressed.subarray(0, compressed.length - 4);
  const inflated = streamSync ? throughSync(inflater, Buffer.concat([wire, TAIL])) : await through(inflater, Buffer.concat([wire, TAIL]));
  if (inflated.length !== plain.length) throw new Error('zlib floor: round trip lost bytes');
}

for (let i = 0; i < 2000; i++) await echoOnce(); // warm-up
const start = process.cpuUsage();
const until = performance.now() + seconds * 1000;
let messages = 0;
while (performance.now() < until) {
  for (let i = 0; i < 100; i++) await echoOnce();
  messages += 100;
}
const used = process.cpuUsage(start);
console.log(JSON.stringify({ cpuUsPerMessage: (used.user + used.system) / messages, messages }));
