// The CommonJS twin of ws-consumer.mts: `require('wasmws/ws')` is ws 8's shape, the
// WebSocket class with WebSocket, WebSocketServer, Server and createWebSocketStream on it,
// typed as @types/ws types `require('ws')`. package.test.ts type-checks and runs it.
import 'wasmws/ws/register';
import type { AddressInfo } from 'node:net';
import WebSocket = require('wasmws/ws');

// @ts-expect-error the address is a string or URL: the types are real, not `any`.
const notAUrl: ConstructorParameters<typeof WebSocket>[0] = 42;
void notAUrl;

async function main(): Promise<string> {
  const options: WebSocket.ServerOptions = { port: 0, host: '127.0.0.1' };
  const wss: WebSocket.WebSocketServer = new WebSocket.Server(options);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket: WebSocket) => {
    socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const clientOptions: WebSocket.ClientOptions = { perMessageDeflate: false };
  const client: WebSocket = new WebSocket(url, clientOptions);
  const alsoClient: WebSocket.WebSocket = client;
  const line = await new Promise<string>((resolve, reject) => {
    alsoClient.on('error', reject);
    client.on('open', () => client.send('hello'));
    client.on('message', (data: Buffer) => {
      client.on('close', (code: number) => resolve(`${data.toString()} ${client.extensions || 'none'} close=${code}`));
      client.close(1000);
    });
  });
  const shape = [
    WebSocket.WebSocket === WebSocket, WebSocket.Server === WebSocket.WebSocketServer,
    typeof WebSocket.createWebSocketStream === 'function', WebSocket.OPEN === 1,
  ].every(Boolean);
  // Under the switch a require of `ws` (not installed here) is wasmws/ws.
  const switched = require('ws') === WebSocket;
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  return `cjs ws ${line} shape=${shape} switch=${switched}`;
}

main().then(console.log, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
