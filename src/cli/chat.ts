import { startChat } from '../../examples/chat/server';
import { flag, parseArgs } from './args';

/** `wasmws chat`: the seed's chat demo, page and hub, until SIGINT/SIGTERM. */
export async function chatCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const chat = await startChat({ port: Number(flag(args, 'port', '8080')), host: flag(args, 'host', '127.0.0.1'), redis: flag(args, 'redis') });
  process.stdout.write(`chat on ${chat.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void chat.close().then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
