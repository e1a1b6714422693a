// Each runtime's own WebSocket, against wasmws (run by node --experimental-websocket, deno
// and bun; no test framework). Usage:
//
//   <runtime> native.mjs client <url>     the runtime's global WebSocket against our echo server
//   <runtime> native.mjs server           Deno.serve + Deno.upgradeWebSocket or Bun.serve echo;
//                                         prints "PORT <n>"
//
// Prints "OK ..." when every check passed.
const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const [mode, url] = process.argv.slice(2);

function check(condition, message) {
  if (!condition) throw new Error(`${runtime} native: ${message}`);
}

async function nativeClient() {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const inbox = [];
  let wake = null;
  ws.onmessage = (e) => { inbox.push(e.data); wake?.(); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`${runtime}: cannot connect`)); });
  const next = async () => {
    while (inbox.length === 0) await new Promise((r) => { wake = r; });
    return inbox.shift();
  };
  ws.send('héllo ✓');
  check((await next()) === 'héllo ✓', 'text');
  for (const size of [0, 125, 126, 65536, 1 << 20]) {
    const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    ws.send(data);
    const got = new Uint8Array(await next());
    check(got.length === size && got.every((b, i) => b === ((i * 7) & 0xff)), `binary ${size}`);
  }
  const closed = new Promise((resolve) => { ws.onclose = resolve; });
  ws.close(4321, 'native bye');
  const event = await closed;
  check(event.code === 4321, `close code ${event.code}`);
  console.log(`OK ${runtime} native client extensions=${JSON.stringify(ws.extensions)}`);
}

function nativeServer() {
  if (runtime === 'deno') {
    const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`PORT ${port}`) }, (req) => {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(e.data);
      return response;
    });
    return server;
  }
  const server = Bun.serve({
    port: 0, hostname: '127.0.0.1',
    fetch(req, srv) { return srv.upgrade(req) ? undefined : new Response('upgrade required', { status: 426 }); },
    websocket: { perMessageDeflate: true, maxPayloadLength: 64 << 20, message(ws, message) { ws.send(message); } },
  });
  console.log(`PORT ${server.port}`);
  return server;
}

if (mode === 'client') await nativeClient();
else if (mode === 'server') nativeServer();
else { console.error('usage: native.mjs client <url> | server'); process.exit(2); }
