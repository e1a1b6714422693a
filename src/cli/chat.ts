import { startChat } from '../../examples/chat/server';
import { flag, nonEmptyFlag, parseArgs, portFlag, urlArgument } from './args';
import { listenProblem } from './listen';

/** One line: how to call `wasmws chat`. */
export const CHAT_USAGE = 'wasmws chat [--port 8080] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]';

/** `wasmws chat`: the seed's chat demo, page and hub, until SIGINT/SIGTERM. */
export async function chatCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['port', 'host', 'redis'] });
  const port = portFlag(args, 8080);
  const host = nonEmptyFlag(args, 'host', '127.0.0.1');
  const redisFlag = flag(args, 'redis');
  const redis = redisFlag === undefined ? undefined : urlArgument(redisFlag, '--redis', ['redis:', 'rediss:']).href;
  let chat;
  try {
    chat = await startChat({ port, host, redis });
  } catch (err) {
    if ((err as { code?: string } | null)?.code) throw listenProblem(err, host, port);
    throw err;
  }
  process.stdout.write(`chat on ${chat.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void chat.close().then(resolve, resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
