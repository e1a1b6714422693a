import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { killCliChildren, runCli } from '../cli/run-cli';
import { h2Session } from '../helpers/h2';
import { testCert } from '../helpers/transports';

// `wasmws echo --tls-cert FILE --tls-key FILE [--http2]`, the built CLI run as a user would.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmws-cli-tls-'));
  writeFileSync(join(dir, 'cert.pem'), testCert().cert);
  writeFileSync(join(dir, 'key.pem'), testCert().key);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => killCliChildren());

const tlsArgs = () => ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')];

describe('wasmws echo over TLS', () => {
  it('--http2: prints wss://, echoes over HTTP/2 and HTTP/1.1 on one port, exits 0 on SIGTERM', async () => {
    const echo = runCli(['echo', '--port', '0', ...tlsArgs(), '--http2']);
    const [, url, port] = await echo.waitFor(/listening on (wss:\/\/127\.0\.0\.1:(\d+))/);
    const session = await h2Session(Number(port), testCert().cert);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    session.destroy();
    const target = url.replace('127.0.0.1', 'localhost');
    for (const http2 of [true, false]) {
      const conn = await dial(target, { tls: { ca: testCert().cert }, http2 });
      await conn.send(`via ${http2 ? 'h2' : 'h1'}`);
      expect((await conn.read()).text()).toBe(`via ${http2 ? 'h2' : 'h1'}`);
      await conn.close();
    }
    echo.child.kill('SIGTERM');
    expect(await echo.exited).toBe(0);
  });

  it('without --http2: wss:// over HTTP/1.1 only (http2: true is refused by ALPN)', async () => {
    const echo = runCli(['echo', '--port', '0', ...tlsArgs()]);
    const [, port] = await echo.waitFor(/listening on wss:\/\/127\.0\.0\.1:(\d+)/);
    const url = `wss://localhost:${port}/`;
    await expect(dial(url, { tls: { ca: testCert().cert }, http2: true })).rejects.toThrow(/ALPN/);
    const conn = await dial(url, { tls: { ca: testCert().cert } });
    await conn.send('plain wss');
    expect((await conn.read()).text()).toBe('plain wss');
    await conn.close();
  });

  it.each([
    [['--http2'], /--http2 needs --tls-cert and --tls-key/],
    [['--tls-cert', 'x.pem'], /--tls-cert and --tls-key go together/],
    [['--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'], /--tls-cert: cannot read/],
    [['--http2=yes'], /--http2 takes no value/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const echo = runCli(['echo', '--port', '0', ...args]);
    expect(await echo.exited).toBe(2);
    expect(echo.stderr()).toMatch(message);
  });
});
