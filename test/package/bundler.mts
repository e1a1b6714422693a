// What a bundled application (Vite, webpack, esbuild) compiles: moduleResolution "bundler",
// imports of every subpath export, and a require() of one, which takes the "require" types.
// package.test.ts type-checks it; bundlers, not Node, would run it.
import { dial, PreparedMessage, prepare, WebSocket, type Conn, type ConnOptions } from 'wasmws';
import { selectCodec, STATUS_NEED_MORE, type FrameCodec } from 'wasmws/codec';
import { Hub, type Broker } from 'wasmws/hub';
import codecCjs = require('wasmws/codec');
import WsSocket, { WebSocketServer as WsServer } from 'wasmws/ws';
import 'wasmws/ws/register';
import wsCjs = require('wasmws/ws');

const options: ConnOptions = { maxMessageBytes: 1 << 20 };
export async function connect(url: string): Promise<Conn> {
  const conn: Conn = await dial(url, options);
  const message: PreparedMessage = prepare('hello');
  await conn.send(message);
  return conn;
}
export function open(url: string): WebSocket {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  return ws;
}
export const codec: FrameCodec = selectCodec('js');
export const needMore: number = STATUS_NEED_MORE;
export const cjsName: string = codecCjs.js.name;
export const hub: Hub = new Hub();
export type { Broker };
export const wsServer: WsServer = new WsServer({ noServer: true });
export const wsClient = (url: string): WsSocket => new WsSocket(url);
export const wsRequired: wsCjs.WebSocketServer = new wsCjs.Server({ noServer: true });
export const wsRequiredClient = (url: string): wsCjs => new wsCjs(url);
