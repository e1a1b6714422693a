import { UsageError } from './args';
import { AUTOBAHN_USAGE, autobahnCommand } from './autobahn';
import { BENCH_USAGE, benchCommand } from './bench';
import { CHAT_USAGE, chatCommand } from './chat';
import { CONNECT_USAGE, connectCommand } from './connect';
import { ECHO_USAGE, echoCommand } from './echo';

interface Command {
  run: (args: string[]) => Promise<number>;
  /** One line, shown on a usage error. */
  usage: string;
  /** What it does, for the full help. */
  help: string;
}

const COMMANDS: Record<string, Command> = {
  echo: { run: echoCommand, usage: ECHO_USAGE, help: 'echo server; prints "listening on ws://HOST:PORT" (wss:// with --tls-cert/--tls-key, HTTP/2 too with --http2)' },
  connect: { run: connectCommand, usage: CONNECT_USAGE, help: 'interactive client: lines out, "< " messages in, /ping, /close CODE REASON' },
  'autobahn-client': { run: autobahnCommand, usage: AUTOBAHN_USAGE, help: 'client side of the Autobahn fuzzing-server protocol' },
  chat: { run: chatCommand, usage: CHAT_USAGE, help: 'the chat demo: page at /, hub at /ws; with --redis, one node of a multi-node chat' },
  bench: { run: benchCommand, usage: BENCH_USAGE, help: 'codec table: wasm vs js per operation and size' },
};

const USAGE = `usage: wasmws <command>\n\n${Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.help}\n`).join('')}`;

/** Entry point of the `wasmws` binary: exit 0 done, 1 failed, 2 bad command line. */
async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '-h' || name === '--help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`${name === undefined ? 'wasmws: no command' : `wasmws: unknown command ${JSON.stringify(name)}`}\n${USAGE}`);
    return 2;
  }
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    process.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`wasmws ${name}: ${err.message} (usage: ${command.usage})\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`wasmws: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
