// Run by hub.test.ts as `node --expose-gc switch-probe.mjs <switches>`: one real connection
// (server and client in this process) switches rooms `switches` times on a Hub (unsubscribe
// from one topic, subscribe to the next), and the heap growth after GC is printed as JSON.
import { dial, serve } from '../../dist/index.js';
import { Hub } from '../../dist/hub.js';

const switches = Number(process.argv[2]);
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } };

let serverSide;
const server = await serve({ port: 0, pingIntervalMs: 0 }, (conn) => { serverSide = conn; });
const client = await dial(`ws://127.0.0.1:${server.address().port}/`);
while (!serverSide) await new Promise((r) => setTimeout(r, 5));
const hub = new Hub();
hub.subscribe(serverSide, 'room:0');
const switchRooms = (from, count) => {
  for (let i = from; i < from + count; i++) {
    hub.unsubscribe(serverSide, `room:${i % 2}`);
    hub.subscribe(serverSide, `room:${(i + 1) % 2}`);
  }
};
switchRooms(0, 1000); // warm up
await settle();
const before = process.memoryUsage().heapUsed;
switchRooms(1000, switches);
await settle();
const after = process.memoryUsage().heapUsed;
hub.publish(`room:${(1000 + switches) % 2}`, 'still subscribed');
const received = (await client.read()).text();
console.log(JSON.stringify({ switches, heapGrowthBytes: after - before, topics: hub.topics(serverSide), received }));
await client.close();
await server.close({ timeoutMs: 200 });
