// socket.io on wasmws: socket.io's engine takes a ws-compatible server class as `wsEngine`,
// and wasmws/ws is one. Everything else is plain socket.io. A client's 'chat' event is sent
// back to everyone.
//
// Run it: `node --experimental-strip-types examples/socketio-server.ts` (PORT=3000 by
// default), then connect with socket.io-client:
//   io('http://127.0.0.1:3000', { transports: ['websocket'] })
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { WebSocketServer } from 'wasmws/ws';

const http = createServer();
const io = new Server(http, { wsEngine: WebSocketServer, transports: ['websocket'] });
io.on('connection', (socket) => {
  socket.on('chat', (text: string) => io.emit('chat', `${socket.id.slice(0, 4)}: ${text}`));
});
http.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => io.close(() => process.exit(0)));
}
