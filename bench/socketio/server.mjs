// A socket.io echo server for bench/socketio/run.mjs: `node server.mjs <ws|wasmws>` picks the
// engine's WebSocket server (ws, socket.io's default, or wasmws/ws). Prints "PORT <n>".
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const engine = process.argv[2];
const options = { transports: ['websocket'], perMessageDeflate: false };
if (engine === 'wasmws') options.wsEngine = (await import('../../dist/ws.js')).WebSocketServer;
const http = createServer();
const io = new Server(http, options);
io.on('connection', (socket) => socket.on('echo', (data) => socket.emit('echo', data)));
http.listen(0, '127.0.0.1', () => console.log(`PORT ${http.address().port}`));
process.on('SIGINT', () => process.exit(0));
