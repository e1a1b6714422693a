// A client that stays connected: when the connection fails or closes, it dials again after
// a delay that doubles from 0.5 s up to 10 s (with jitter, so that many clients dropped at
// once do not return at once), and resets to 0.5 s once a connection has opened.
//
// Run it: `node --experimental-strip-types examples/reconnecting-client.ts ws://127.0.0.1:9001/ [sessions]`
// against examples/echo-server.ts. It sends a line on every connection and prints what comes
// back; with `sessions` it exits after that many connections have ended (the test uses 2).
import { dial, isUnexpectedClose, CloseError } from 'wasmws';

const url = process.argv[2] ?? 'ws://127.0.0.1:9001/';
const sessions = Number(process.argv[3] ?? Infinity);
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let delayMs = MIN_DELAY_MS;
for (let ended = 0; ended < sessions;) {
  try {
    const conn = await dial(url, { handshakeTimeoutMs: 5_000 });
    delayMs = MIN_DELAY_MS;   // a connection opened: the next failure starts the backoff again
    console.log('connected');
    await conn.send(`hello from session ${ended + 1}`);
    try {
      for await (const msg of conn) console.log(`< ${msg.text()}`);   // ends on a normal close
      console.log('closed');
    } catch (error) {
      if (error instanceof CloseError && isUnexpectedClose(error)) console.log(`closed unexpectedly: ${error.closeCode}`);
      else throw error;
    }
    ended++;
  } catch (error) {
    console.log(`dial failed: ${(error as Error).message}`);
  }
  if (ended >= sessions) break;
  const wait = delayMs / 2 + Math.random() * (delayMs / 2);
  console.log(`retrying in ${Math.round(wait)} ms`);
  await sleep(wait);
  delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
}
