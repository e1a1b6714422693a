import { autobahnCommand } from './autobahn';
import { benchCommand } from './bench';
import { chatCommand } from './chat';
import { connectCommand } from './connect';
import { echoCommand } from './echo';

const USAGE = `usage: wasmws <command>

  echo [--port 9001] [--host 127.0.0.1] [--codec auto|wasm|js]
                                 echo server; prints "listening on ws://HOST:PORT"
  connect <url> [-H "Name: value"] [--subprotocol p]
                                 interactive client: lines out, "< " messages in,
                                 /ping, /close CODE REASON
  autobahn-client <base-url> [--agent NAME] [--codec auto|wasm|js]
                                 client side of the Autobahn fuzzing-server protocol
  chat [--port 8080] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]
                                 the chat demo: page at /, hub at /ws; with --redis,
                                 one node of a multi-node chat
  bench [--quick]                codec table: wasm vs js per operation and size
`;

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  echo: echoCommand,
  connect: connectCommand,
  'autobahn-client': autobahnCommand,
  chat: chatCommand,
  bench: async (args) => { await benchCommand(args); return 0; },
};

/** Entry point of the `wasmws` binary. */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`unknown command: ${command}\n${USAGE}`);
    return 1;
  }
  return run(args);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`wasmws: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
