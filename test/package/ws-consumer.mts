// An ES module written against ws, with only the import changed to wasmws/ws (the migration's
// step 1), plus the `ws` switch. package.test.ts type-checks it (nodenext, node16) and runs it.
import 'wasmws/ws/register';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import WebSocket, { createWebSocketStream, Server, WebSocketServer, type ClientOptions, type ServerOptions } from 'wasmws/ws';

// @ts-expect-error the address is a string or URL: the types are real, not `any`.
const notAUrl: ConstructorParameters<typeof WebSocket>[0] = 42;
void notAUrl;

const serverOptions: ServerOptions = { port: 0, host: '127.0.0.1', perMessageDeflate: true };
const wss: WebSocketServer = new WebSocketServer(serverOptions);
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
wss.on('connection', (socket: WebSocket) => {
  socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
});
const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
const options: ClientOptions = { perMessageDeflate: true, headers: { 'X-From': 'esm' } };
const client = new WebSocket(url, options);
const line = await new Promise<string>((resolve, reject) => {
  client.on('error', reject);
  client.on('open', () => client.send('hello'));
  client.on('message', (data: Buffer) => {
    client.on('close', (code: number) => resolve(`${data.toString()} ${client.extensions} close=${code}`));
    client.close(1000);
  });
});
const readyStates = `${WebSocket.CONNECTING}${WebSocket.OPEN}${WebSocket.CLOSING}${WebSocket.CLOSED}`;
// Under the switch a require of `ws` (not installed here) is wasmws/ws.
const require = createRequire(import.meta.url);
const switched = require('ws') === require('wasmws/ws');
await new Promise<void>((resolve) => wss.close(() => resolve()));
console.log(`esm ws ${line} states=${readyStates} server=${Server === WebSocketServer} stream=${typeof createWebSocketStream} switch=${switched}`);
