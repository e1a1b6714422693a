import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { serverFrame } from '../helpers/frames';
import { rawWsServer, type RawWsServer } from './raw-server';

// The built WHATWG WebSocket (dist/index.js) in its own Node process with
// --unhandled-rejections=strict, as issue 12 reproduced finding 9: nothing it does may end
// the process, and a listener that throws is reported without stopping the socket.
const DIST = join(__dirname, '..', '..', 'dist', 'index.js');

const CLIENT = `
import { WebSocket } from ${JSON.stringify(DIST)};
let listenerErrors = 0;
process.on('uncaughtException', (err) => {
  if (err && err.message === 'listener boom') { listenerErrors++; return; }
  console.error('UNEXPECTED', err && err.stack); process.exit(1);
});
const ws = new WebSocket(process.argv[1]);
const messages = [];
ws.onmessage = (e) => {
  messages.push(e.data);
  ws.send('reply');                 // the close came in the same read: the reply still goes out before the echo
  ws.send(new Blob(['blob reply']));
  throw new Error('listener boom');
};
ws.onclose = (e) => {
  setTimeout(() => console.log(JSON.stringify({ messages, code: e.code, wasClean: e.wasClean, listenerErrors, buffered: ws.bufferedAmount })), 50);
};
`;

let server: RawWsServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

it.each([false, true])('survives send() from onmessage after the peer closed, and a throwing listener (deflate %s)', async (deflate) => {
  let wire: string[] = [];
  server = await rawWsServer(deflate, async (peer) => {
    const close = serverFrame(8, new Uint8Array([0x03, 0xe8]));
    const both = new Uint8Array([...serverFrame(1, 'first'), ...serverFrame(1, 'last'), ...close]);
    peer.socket.write(both);
    await peer.waitFrames(5);
    wire = peer.frames.map((f) => (f.opcode === 8 ? 'close' : new TextDecoder().decode(f.payload)));
    peer.socket.end();
  });
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '--input-type=module', '-e', CLIENT, server.url]);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(out).not.toContain('UNEXPECTED');
  expect(code).toBe(0);
  expect(JSON.parse(out.trim())).toEqual({ messages: ['first', 'last'], code: 1000, wasClean: true, listenerErrors: 2, buffered: 0 });
  // Replies made at once to the messages that came with the Close go out ahead of the echo
  // (they used to be discarded and counted in bufferedAmount: 2 * (5 + 10)).
  expect(wire).toEqual(['reply', 'blob reply', 'reply', 'blob reply', 'close']);
}, 10_000);
