import { readFileSync } from 'node:fs';
import type { CodecKind } from '../codec/select';
import { serve } from '../server';
import { booleanFlag, choiceFlag, flag, nonEmptyFlag, parseArgs, portFlag, UsageError, type Args } from './args';
import { listenProblem } from './listen';

/** The codec names --codec takes. */
export const CODEC_CHOICES: readonly CodecKind[] = ['auto', 'wasm', 'js'];

/** One line: how to call `wasmws echo`. */
export const ECHO_USAGE = 'wasmws echo [--port 9001] [--host 127.0.0.1] [--codec auto|wasm|js] [--no-compression] [--tls-cert FILE --tls-key FILE [--http2]]';

/** --tls-cert and --tls-key (PEM files), both or neither; --http2 needs them. */
function tlsFlags(args: Args): { key: Buffer; cert: Buffer } | undefined {
  const certFile = flag(args, 'tls-cert');
  const keyFile = flag(args, 'tls-key');
  if (certFile === undefined && keyFile === undefined) {
    if (booleanFlag(args, 'http2', false)) throw new UsageError('--http2 needs --tls-cert and --tls-key (HTTP/2 WebSockets are wss://)');
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`--${name}: cannot read ${JSON.stringify(file)}: ${(err as Error).message}`);
    }
  };
  return { cert: read('tls-cert', certFile), key: read('tls-key', keyFile) };
}

/**
 * `wasmws echo`: an echo server (every message back with its type) until SIGINT/SIGTERM;
 * wss:// with --tls-cert/--tls-key, and HTTP/2 WebSockets (RFC 8441) too with --http2.
 */
export async function echoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['port', 'host', 'codec', 'tls-cert', 'tls-key'], booleans: ['compression', 'http2'] });
  const host = nonEmptyFlag(args, 'host', '127.0.0.1');
  const port = portFlag(args, 9001);
  const codec = choiceFlag(args, 'codec', CODEC_CHOICES, 'auto');
  const compression = booleanFlag(args, 'compression', true);
  const tls = tlsFlags(args);
  const http2 = booleanFlag(args, 'http2', false);
  let server;
  try {
    server = await serve({
      port, host, codec, compression, tls, http2,
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
  process.stdout.write(`listening on ${tls ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${address.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void server.close({ timeoutMs: 2000 }).then(resolve, resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
