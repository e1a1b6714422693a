import type { CodecKind } from '../codec/select';
import { serve } from '../server';
import { booleanFlag, choiceFlag, nonEmptyFlag, parseArgs, portFlag } from './args';
import { listenProblem } from './listen';

/** The codec names --codec takes. */
export const CODEC_CHOICES: readonly CodecKind[] = ['auto', 'wasm', 'js'];

/** One line: how to call `wasmws echo`. */
export const ECHO_USAGE = 'wasmws echo [--port 9001] [--host 127.0.0.1] [--codec auto|wasm|js] [--no-compression]';

/** `wasmws echo`: an echo server (every message back with its type) until SIGINT/SIGTERM. */
export async function echoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['port', 'host', 'codec'], booleans: ['compression'] });
  const host = nonEmptyFlag(args, 'host', '127.0.0.1');
  const port = portFlag(args, 9001);
  const codec = choiceFlag(args, 'codec', CODEC_CHOICES, 'auto');
  const compression = booleanFlag(args, 'compression', true);
  let server;
  try {
    server = await serve({
      port, host, codec, compression,
      maxMessageBytes: 64 * 1024 * 1024,
      checkOrigin: () => true, // a test endpoint: any page may use it
    }, async (conn) => {
      try {
        for await (const message of conn) await conn.send(message.data, { binary: message.type === 'binary' });
      } catch { /* the connection failed; its close code already went out */ }
    });
  } catch (err) {
    throw listenProblem(err, host, port);
  }
  const address = server.address();
  process.stdout.write(`listening on ws://${host.includes(':') ? `[${host}]` : host}:${address.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void server.close({ timeoutMs: 2000 }).then(resolve, resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
