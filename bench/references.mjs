// The reference implementations the benches compare with, loaded side by side in one
// process: ws with bufferutil (what most Node servers run), ws without it (its portable JS
// fallback, as with WS_NO_BUFFER_UTIL=1), bufferutil itself, and node:buffer isUtf8.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// ws's package exports hide lib/, so its files are required by path.
const wsLib = join(dirname(require.resolve('ws')), 'lib');

function loadWs(withBufferUtil) {
  for (const key of Object.keys(require.cache)) if (key.includes('/node_modules/ws/')) delete require.cache[key];
  const before = process.env.WS_NO_BUFFER_UTIL;
  if (withBufferUtil) delete process.env.WS_NO_BUFFER_UTIL;
  else process.env.WS_NO_BUFFER_UTIL = '1';
  try {
    return {
      Receiver: require(join(wsLib, 'receiver.js')),
      bufferUtil: require(join(wsLib, 'buffer-util.js')),
    };
  } finally {
    if (before === undefined) delete process.env.WS_NO_BUFFER_UTIL;
    else process.env.WS_NO_BUFFER_UTIL = before;
  }
}

export const wsNative = loadWs(true);
export const wsJs = loadWs(false);
export const bufferutil = require('bufferutil');
export const { isUtf8 } = require('node:buffer');
export const wsVersion = require(join(wsLib, '..', 'package.json')).version;
export const bufferutilVersion = require('bufferutil/package.json').version;

/** A ws Receiver in server mode that counts messages; feed it with `push(chunk)`. */
export function wsReader(ws) {
  let delivered = 0;
  const receiver = new ws.Receiver({ isServer: true, maxPayload: 0, allowSynchronousEvents: true });
  receiver.on('message', () => { delivered++; });
  receiver.on('error', (err) => { throw err; });
  const done = () => {};
  return {
    push: (chunk) => receiver._write(chunk, 'buffer', done),
    take: () => { const n = delivered; delivered = 0; return n; },
  };
}
