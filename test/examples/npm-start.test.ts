import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { dial } from '../../src/client';
import { freePort } from '../helpers/ports';

// `npm start` as the README runs it. --ignore-scripts skips only the `prestart` build:
// `npm test` has just built dist/, and rebuilding it here would race the other test files.
it('npm start serves the chat page and accepts a WebSocket connection', async () => {
  const port = await freePort();
  const child = spawn('npm', ['start', '--ignore-scripts', '--', '--port', String(port)], {
    cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'], detached: true, // its own process group: npm and the node it starts
  });
  try {
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    for (let i = 0; i < 200 && !out.includes('chat on'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`chat on http://localhost:${port}/`);
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(page).toContain('<title>wasmws chat</title>');
    const conn = await dial(`ws://127.0.0.1:${port}/ws`, { headers: { Origin: `http://127.0.0.1:${port}` } });
    await conn.send('started');
    expect((await conn.read()).text()).toBe('started');
    await conn.close();
  } finally {
    process.kill(-child.pid!, 'SIGTERM'); // npm does not pass the signal on to its child
  }
}, 30_000);
