import { dial } from '../client';
import type { DialOptions } from '../client';
import { choiceFlag, nonEmptyFlag, parseArgs, urlArgument } from './args';
import { CODEC_CHOICES } from './echo';

/** One line: how to call `wasmws autobahn-client`. */
export const AUTOBAHN_USAGE = 'wasmws autobahn-client [<base-url>] [--agent NAME] [--codec auto|wasm|js]';

/**
 * `wasmws autobahn-client <base-url>`: the client side of the Autobahn fuzzing-server
 * protocol. getCaseCount, then every case echoed (each message back with its type) until
 * the server closes, then updateReports. A case whose connection cannot be opened (some
 * cases test exactly that) is reported on stderr and the next one runs; the exit code is 0
 * once every case was attempted and the reports were updated.
 */
export async function autobahnCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['agent', 'codec'], positionals: 1 });
  const base = urlArgument(args.positional[0] ?? 'ws://127.0.0.1:9001', 'the base URL', ['ws:', 'wss:']).href.replace(/\/$/, '');
  const agent = nonEmptyFlag(args, 'agent', 'wasmws');
  const options: DialOptions = { codec: choiceFlag(args, 'codec', CODEC_CHOICES, 'auto') };
  const counter = await dial(`${base}/getCaseCount`, options);
  const countText = (await counter.read()).text();
  await counter.closed;
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 0) throw new Error(`getCaseCount answered ${JSON.stringify(countText)}, not a case count`);
  let failed = 0;
  for (let i = 1; i <= count; i++) {
    if (await runCase(`${base}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, options)) {
      process.stdout.write(`case ${i}/${count} done\n`);
    } else {
      failed++;
    }
  }
  const reports = await dial(`${base}/updateReports?agent=${encodeURIComponent(agent)}`, options);
  await reports.closed;
  process.stdout.write(`reports updated for ${agent}${failed ? ` (${failed} of ${count} cases could not connect)` : ''}\n`);
  return 0;
}

/** Echoes one case until the server closes; false (reported on stderr) when it cannot connect. */
async function runCase(url: string, options: DialOptions): Promise<boolean> {
  let conn;
  try {
    conn = await dial(url, { ...options, maxMessageBytes: 64 * 1024 * 1024 });
  } catch (err) {
    process.stderr.write(`${url}: ${err instanceof Error ? err.message : String(err)}\n`);
    return false;
  }
  try {
    for await (const message of conn) await conn.send(message.data, { binary: message.type === 'binary' });
  } catch { /* the case closed the connection abnormally: that is what it tests */ }
  await conn.closed;
  return true;
}
