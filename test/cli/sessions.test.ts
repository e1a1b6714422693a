import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, Upgrader } from '../../src/server';
import { killCliChildren, runCli } from './run-cli';

// `wasmws connect` and `wasmws autobahn-client` against test servers that observe what the
// built CLI sends (issue 12 #13, #14, #15).
afterEach(killCliChildren);

describe('wasmws connect', () => {
  it('-H headers and --subprotocol reach the server', async () => {
    const seen: Record<string, unknown>[] = [];
    const server = await serve({ port: 0, subprotocols: ['p2'] }, async (c) => {
      seen.push(c.request!.headers);
      try { for await (const m of c) await c.send(`echo:${m.text()}`); } catch { /* closed */ }
    });
    const client = runCli(['connect', `ws://127.0.0.1:${server.address().port}/`, '-H', 'X-Test: 1', '-H=X-Other: two words', '--subprotocol', 'p1', '--subprotocol', 'p2']);
    await client.waitFor(/connected \(subprotocol p2\)/);
    expect(seen[0]).toMatchObject({ 'x-test': '1', 'x-other': 'two words', 'sec-websocket-protocol': 'p1, p2' });
    client.child.stdin.end(); // end of input closes
    expect(await client.exited).toBe(0);
    await server.close({ timeoutMs: 200 });
  });

  it('prints every message received before it prints how the connection closed (compressed ones too)', async () => {
    const server = await serve({ port: 0 }, async (c) => {
      await c.send('y'.repeat(5000)); // compressed: still inflating in the CLI when TCP closes
      // send() resolves once queued, and terminate() drops a message still compressing: wait for the write.
      for (let i = 0; i < 500 && c.bufferedAmount > 0; i++) await new Promise((r) => setTimeout(r, 2));
      c.terminate();
    });
    const client = runCli(['connect', `ws://127.0.0.1:${server.address().port}/`]);
    expect(await client.exited).toBe(1); // not clean
    const out = client.stdout();
    expect(out).toContain(`< ${'y'.repeat(5000)}\n`);
    expect(out.indexOf('< y')).toBeLessThan(out.indexOf('closed 1006'));
    await server.close({ timeoutMs: 200 });
  });

  it('/close with a code or reason it may not send explains why and keeps the session (issue 12 #13)', async () => {
    const closes: [number, string][] = [];
    const server = await serve({ port: 0 }, async (c) => {
      try { for await (const m of c) await c.send(`echo:${m.text()}`); } catch { /* closed */ }
      const info = await c.closed;
      closes.push([info.code, info.reason]);
    });
    const client = runCli(['connect', `ws://127.0.0.1:${server.address().port}/`]);
    await client.waitFor(/connected/);
    const attempts = ['/close abc', '/close 1005', '/close 1006 x', '/close 2999', `/close 3000 ${'r'.repeat(130)}`, '/close 1000.5'];
    for (const [i, line] of attempts.entries()) {
      client.child.stdin.write(`${line}\n`);
      client.child.stdin.write(`still here ${i}\n`);
      await client.waitFor(new RegExp(`< echo:still here ${i}\\n`));
    }
    expect(client.stdout().match(/^cannot close: .*$/gm)).toHaveLength(attempts.length);
    expect(client.stdout()).toContain('cannot close: the reason is 130 bytes; at most 123');
    expect(client.stderr()).toBe('');
    client.child.stdin.write('/close 4000 done, with words\n');
    await client.waitFor(/closed 4000 done, with words\n/); // the server echoes code and reason (#17)
    expect(await client.exited).toBe(0);
    await server.close({ timeoutMs: 200 });
    expect(closes).toEqual([[4000, 'done, with words']]);
  });
});

describe('wasmws autobahn-client', () => {
  it('reports a case whose handshake fails on stderr, runs the rest, and exits 0 (issue 12 #15)', async () => {
    const log: string[] = [];
    const upgrader = new Upgrader({});
    const fuzzing = createServer();
    fuzzing.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = req.url ?? '';
      log.push(url);
      if (url.startsWith('/runCase?case=2&')) {
        // A 101 with the wrong accept key: the client must refuse it.
        socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n');
        return;
      }
      const conn = upgrader.upgrade(req, socket, head);
      if (!conn) return;
      void (async () => {
        if (url.startsWith('/getCaseCount')) await conn.send('3');
        else if (url.startsWith('/runCase')) {
          await conn.send(`case ${url}`);
          log.push(`echo ${(await conn.read()).text()}`);
        }
        await conn.close();
      })().catch(() => {});
    });
    await new Promise<void>((resolve) => fuzzing.listen(0, '127.0.0.1', resolve));
    const port = (fuzzing.address() as AddressInfo).port;
    const client = runCli(['autobahn-client', `ws://127.0.0.1:${port}`, '--agent', 'my agent', '--codec', 'js']);
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(/runCase\?case=2&agent=my%20agent: .*Sec-WebSocket-Accept/);
    expect(client.stderr().split('\n').filter(Boolean)).toHaveLength(1);
    expect(client.stdout()).toContain('case 1/3 done\ncase 3/3 done\nreports updated for my agent (1 of 3 cases could not connect)');
    expect(log).toEqual([
      '/getCaseCount',
      '/runCase?case=1&agent=my%20agent', 'echo case /runCase?case=1&agent=my%20agent',
      '/runCase?case=2&agent=my%20agent',
      '/runCase?case=3&agent=my%20agent', 'echo case /runCase?case=3&agent=my%20agent',
      '/updateReports?agent=my%20agent',
    ]);
    await new Promise((resolve) => fuzzing.close(resolve));
  });
});
