// An echo server: every message goes back to its sender, text as text, binary as binary.
// `await conn.send()` is the backpressure: a client that stops reading stops its own echo.
//
// Run it: `npm run build`, then `node --experimental-strip-types examples/echo-server.ts`
// (Node ≥ 22.6) or `bun examples/echo-server.ts`; PORT=9001 by default. Ctrl-C stops it,
// closing every connection with 1001.
import { serve } from 'wasmws';

const server = await serve({ port: Number(process.env.PORT ?? 9001), host: '127.0.0.1' }, async (conn) => {
  for await (const msg of conn) {
    await conn.send(msg.data, { binary: msg.type === 'binary' });
  }
});
console.log(`listening on ws://127.0.0.1:${server.address().port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  });
}
