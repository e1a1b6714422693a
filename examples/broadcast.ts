// Broadcast with prepare(): a message is framed (and, without context takeover, compressed)
// once, and the same bytes go to every connection. The program starts a server, connects
// CLIENTS clients, broadcasts three messages, checks that every client got all three in
// order, and exits.
//
// Run it: `node --experimental-strip-types examples/broadcast.ts` (CLIENTS=100 by default).
import { dial, prepare, serve, type Conn } from 'wasmws';

const CLIENTS = Number(process.env.CLIENTS ?? 100);
const conns = new Set<Conn>();
const server = await serve({ port: 0, host: '127.0.0.1' }, (conn) => {
  // A plain (not async) handler hands the connection over: serve() leaves it open.
  conns.add(conn);
  conn.closed.then(() => conns.delete(conn), () => conns.delete(conn));
});
const url = `ws://127.0.0.1:${server.address().port}/`;

const clients = await Promise.all(Array.from({ length: CLIENTS }, () => dial(url)));
while (conns.size < CLIENTS) await new Promise((resolve) => setTimeout(resolve, 10));

for (let i = 1; i <= 3; i++) {
  const msg = prepare(JSON.stringify({ update: i, at: new Date().toISOString() }));   // encoded once ...
  await Promise.all([...conns].map((conn) => conn.send(msg)));                         // ... sent to all
}

let received = 0;
for (const client of clients) {
  for (let i = 1; i <= 3; i++) {
    const { update } = (await client.read()).json() as { update: number };
    if (update !== i) throw new Error(`expected update ${i}, got ${update}`);
    received++;
  }
}
console.log(`${CLIENTS} clients got ${received} messages, in order`);
await Promise.all(clients.map((client) => client.close()));
await server.close();
