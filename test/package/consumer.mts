// An ES module that uses the installed package as an application would: every subpath export,
// with the types a user writes. package.test.ts type-checks it (nodenext, node16) and runs it.
import { CloseCode, dial, HandshakeError, serve, WebSocketError, type CloseInfo, type Conn, type Message, type WebSocketServer } from 'wasmws';
import * as codec from 'wasmws/codec';
import { Hub, InMemoryBroker } from 'wasmws/hub';

const frame = new Uint8Array([0x81, 0x05]);
const header: codec.FrameHeader = { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
const used: number = codec.selectCodec('auto').parseHeader(frame, 0, frame.length, header);
// @ts-expect-error parseHeader returns a number: the types are real, not `any`.
const wrong: string = codec.js.parseHeader(frame, 0, frame.length, header);
void wrong;
// @ts-expect-error dial() takes a URL, not a number.
const notAUrl: Parameters<typeof dial>[0] = 42;
void notAUrl;

const hub = new Hub({ broker: new InMemoryBroker() });
const server: WebSocketServer = await serve({ port: 0, path: '/echo' }, async (conn: Conn) => {
  hub.subscribe(conn, 'echo');
  for await (const msg of conn) hub.publish('echo', msg.text());
});
const lines: string[] = [`esm header=${used} text=${header.opcode === codec.OP_TEXT}`];
try {
  for (const compression of [true, false]) {
    const conn: Conn = await dial(`ws://127.0.0.1:${server.address().port}/echo`, { compression });
    await conn.send(`hello ${compression ? 'deflate' : 'plain'}`);
    const reply: Message = await conn.read();
    const info: CloseInfo = await conn.close(CloseCode.Normal, 'done');
    lines.push(`${reply.text()} deflate=${conn.extensions.startsWith('permessage-deflate')} close=${info.code}`);
  }
  // A rejected handshake rejects with the package's own error class.
  const rejected = await dial(`ws://127.0.0.1:${server.address().port}/elsewhere`).then(
    () => 'accepted',
    (err: unknown) => (err instanceof HandshakeError && err instanceof WebSocketError ? `${err.code} ${err.status}` : String(err)),
  );
  lines.push(`rejected=${rejected}`);
} finally {
  await hub.close();
  await server.close();
}
console.log(lines.join(' | '));
