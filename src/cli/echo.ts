import type { CodecKind } from '../codec/select';
import { serve } from '../server';
import { flag, parseArgs } from './args';

/** `wasmws echo`: an echo server (every message back with its type) until SIGINT/SIGTERM. */
export async function echoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['compression']);
  const host = flag(args, 'host', '127.0.0.1');
  const server = await serve({
    port: Number(flag(args, 'port', '9001')),
    host,
    codec: flag(args, 'codec', 'auto') as CodecKind,
    maxMessageBytes: 64 * 1024 * 1024,
    checkOrigin: () => true, // a test endpoint: any page may use it
  }, async (conn) => {
    try {
      for await (const message of conn) await conn.send(message.data, { binary: message.type === 'binary' });
    } catch { /* the connection failed; its close code already went out */ }
  });
  const { port } = server.address();
  process.stdout.write(`listening on ws://${host.includes(':') ? `[${host}]` : host}:${port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void server.close({ timeoutMs: 2000 }).then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
