import { createInterface } from 'node:readline';
import { dial } from '../client';
import { parseArgs } from './args';

/**
 * `wasmws connect <url>`: an interactive client. Lines typed are sent as text; messages
 * received are printed after "< "; /ping measures a round trip; /close CODE REASON closes.
 */
export async function connectCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const url = args.positional[0];
  if (!url) throw new Error('usage: wasmws connect <url> [-H "Name: value"] [--subprotocol p]');
  const headers: Record<string, string> = {};
  for (const h of args.flags.get('H') ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new Error(`bad header ${JSON.stringify(h)}: use "Name: value"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const subprotocols = args.flags.get('subprotocol') ?? [];
  const conn = await dial(url, { headers, subprotocols });
  process.stdout.write(`connected${conn.subprotocol ? ` (subprotocol ${conn.subprotocol})` : ''}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (conn.readyState !== 'open') return;
    if (line === '/ping') {
      void conn.ping().then((ms) => process.stdout.write(`pong in ${ms.toFixed(2)} ms\n`), () => {});
    } else if (line.startsWith('/close')) {
      const [, code, ...reason] = line.split(' ');
      void conn.close(code ? Number(code) : 1000, reason.join(' ')).catch((e: Error) => process.stdout.write(`${e.message}\n`));
    } else {
      conn.send(line).catch(() => {});
    }
  });
  lines.on('close', () => { if (conn.readyState === 'open') void conn.close().catch(() => {}); });
  void (async () => {
    try {
      for await (const message of conn) {
        process.stdout.write(message.type === 'text' ? `< ${message.text()}\n` : `< (binary, ${message.data.length} bytes)\n`);
      }
    } catch { /* reported below */ }
  })();
  const info = await conn.closed;
  lines.close();
  process.stdout.write(`closed ${info.code}${info.reason ? ` ${info.reason}` : ''}${info.wasClean ? '' : ' (not clean)'}\n`);
  return info.wasClean ? 0 : 1;
}
