import { createInterface } from 'node:readline';
import { dial } from '../client';
import type { Conn } from '../conn/connection';
import { isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from '../protocol/close-code';
import { parseArgs, UsageError, urlArgument } from './args';

/** One line: how to call `wasmws connect`. */
export const CONNECT_USAGE = 'wasmws connect <url> [-H "Name: value"]... [--subprotocol p]...';

const encoder = new TextEncoder();

/**
 * `wasmws connect <url>`: an interactive client. Lines typed are sent as text; messages
 * received are printed after "< "; /ping measures a round trip; /close [CODE [REASON]]
 * closes. A command it cannot carry out is explained, and the session goes on.
 */
export async function connectCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['H', 'subprotocol'], positionals: 1 });
  if (args.positional[0] === undefined) throw new UsageError('connect needs a URL');
  const url = urlArgument(args.positional[0], 'the URL', ['ws:', 'wss:', 'http:', 'https:']);
  const headers: Record<string, string> = {};
  for (const h of args.flags.get('H') ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`bad header ${JSON.stringify(h)}: use "Name: value"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const subprotocols = args.flags.get('subprotocol') ?? [];
  const conn = await dial(url, { headers, subprotocols });
  process.stdout.write(`connected${conn.subprotocol ? ` (subprotocol ${conn.subprotocol})` : ''}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => onLine(conn, line));
  lines.on('close', () => { if (conn.readyState === 'open') void conn.close().catch(() => {}); });
  const printing = (async () => {
    try {
      for await (const message of conn) {
        process.stdout.write(message.type === 'text' ? `< ${message.text()}\n` : `< (binary, ${message.data.length} bytes)\n`);
      }
    } catch { /* reported below */ }
  })();
  const info = await conn.closed;
  await printing; // messages received before the close (some still inflating) are printed first
  lines.close();
  process.stdout.write(`closed ${info.code}${info.reason ? ` ${info.reason}` : ''}${info.wasClean ? '' : ' (not clean)'}\n`);
  return info.wasClean ? 0 : 1;
}

/** One typed line: a command or a text message. Never throws: a problem is printed. */
function onLine(conn: Conn, line: string): void {
  if (conn.readyState !== 'open') {
    process.stdout.write('not sent: the connection is closing\n');
    return;
  }
  try {
    if (line === '/ping') {
      conn.ping().then((ms) => process.stdout.write(`pong in ${ms.toFixed(2)} ms\n`), () => {});
      return;
    }
    const close = /^\/close(?:\s+(\S+)(?:\s(.*))?)?\s*$/s.exec(line);
    if (close) {
      const parsed = closeArguments(close[1], close[2] ?? '');
      if (typeof parsed === 'string') process.stdout.write(`cannot close: ${parsed}\n`);
      else conn.close(parsed.code, parsed.reason).catch(() => {});
      return;
    }
    conn.send(line).catch((e: Error) => process.stdout.write(`not sent: ${e.message}\n`));
  } catch (e) {
    process.stdout.write(`${(e as Error).message}\n`);
  }
}

/** `/close [CODE [REASON]]`: the code and reason to send, or what is wrong with them. RFC 6455 §7.4, §5.5. */
function closeArguments(code: string | undefined, reason: string): { code: number; reason: string } | string {
  if (code === undefined) return { code: 1000, reason: '' };
  const number = /^\d+$/.test(code) ? Number(code) : Number.NaN;
  if (!isValidWireCloseCode(number)) return `${JSON.stringify(code)} is not a close code you may send (1000-1003, 1007-1014, 3000-4999)`;
  const bytes = encoder.encode(reason).length;
  if (bytes > MAX_CLOSE_REASON_BYTES) return `the reason is ${bytes} bytes; at most ${MAX_CLOSE_REASON_BYTES}`;
  return { code: number, reason };
}
