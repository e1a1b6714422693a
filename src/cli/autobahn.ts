import type { CodecKind } from '../codec/select';
import { dial } from '../client';
import { flag, parseArgs } from './args';

/**
 * `wasmws autobahn-client <base-url>`: the client side of the Autobahn fuzzing-server
 * protocol. getCaseCount, then every case echoed (each message back with its type) until
 * the server closes, then updateReports.
 */
export async function autobahnCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const base = (args.positional[0] ?? 'ws://127.0.0.1:9001').replace(/\/$/, '');
  const agent = flag(args, 'agent', 'wasmws');
  const codec = flag(args, 'codec', 'auto') as CodecKind;
  const counter = await dial(`${base}/getCaseCount`, { codec });
  const count = Number((await counter.read()).text());
  await counter.closed;
  for (let i = 1; i <= count; i++) {
    const conn = await dial(`${base}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, {
      codec, maxMessageBytes: 64 * 1024 * 1024,
    });
    try {
      for await (const message of conn) await conn.send(message.data, { binary: message.type === 'binary' });
    } catch { /* the case closed the connection abnormally: that is what it tests */ }
    await conn.closed;
    process.stdout.write(`case ${i}/${count} done\n`);
  }
  const reports = await dial(`${base}/updateReports?agent=${encodeURIComponent(agent)}`, { codec });
  await reports.closed;
  process.stdout.write(`reports updated for ${agent}\n`);
  return 0;
}
