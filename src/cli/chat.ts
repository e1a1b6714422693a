import { startChat } from '../../examples/chat/server';
import { flag, nonEmptyFlag, parseArgs, portFlag, urlArgument } from './args';
import { listenProblem } from './listen';

/** One line: how to call `wasmws chat`. */
export const CHAT_USAGE = 'wasmws chat [--port 8080] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]';

/** How long the chat waits for Redis before saying that it is waiting. */
const REDIS_PATIENCE_MS = 2000;

/** `wasmws chat`: the seed's chat demo, page and hub, until SIGINT/SIGTERM. */
export async function chatCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['port', 'host', 'redis'] });
  const port = portFlag(args, 8080);
  const host = nonEmptyFlag(args, 'host', '127.0.0.1');
  const redisFlag = flag(args, 'redis');
  const redis = redisFlag === undefined ? undefined : urlArgument(redisFlag, '--redis', ['redis:', 'rediss:']).href;
  // The Redis client retries until Redis answers (a node may start before it): say so
  // rather than sit silent.
  const waiting = redis === undefined ? undefined
    : setTimeout(() => process.stderr.write(`chat: waiting for Redis at ${redis} (is it running?)\n`), REDIS_PATIENCE_MS);
  let chat;
  try {
    chat = await startChat({ port, host, redis });
  } catch (err) {
    if ((err as { code?: string } | null)?.code) throw listenProblem(err, host, port);
    throw err;
  } finally {
    clearTimeout(waiting);
  }
  process.stdout.write(`chat on ${chat.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void chat.close().then(resolve, resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
