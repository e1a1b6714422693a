import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { rawClient } from '../helpers/raw-peer';
import { freePort, killCliChildren, runCli } from './run-cli';

// Every flag of the built CLI, checked by its effect on the wire (issue 12 #14); unknown flags
// and bad values exit 2 with one line naming the problem and the usage.
afterEach(killCliChildren);

const DEFLATE_OFFER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n';

describe('wasmws echo flags', () => {
  it('--no-compression: the 101 agrees to no extension; without it, permessage-deflate (issue 12 #14)', async () => {
    for (const [flags, expected] of [[['--no-compression'], false], [[], true], [['--compression'], true]] as const) {
      const echo = runCli(['echo', '--port', '0', ...flags]);
      const [, port] = await echo.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
      const { peer, response } = await rawClient(Number(port), DEFLATE_OFFER);
      expect(/sec-websocket-extensions:\s*permessage-deflate/i.test(response), `${flags.join(' ')}: ${response}`).toBe(expected);
      peer.socket.destroy();
      echo.child.kill('SIGTERM');
      expect(await echo.exited).toBe(0);
    }
  });

  it('--port: listens on the port given', async () => {
    const port = await freePort();
    const echo = runCli(['echo', '--port', String(port)]);
    await echo.waitFor(new RegExp(`listening on ws://127\\.0\\.0\\.1:${port}\\b`));
    const conn = await dial(`ws://127.0.0.1:${port}/`);
    await conn.send('on the port');
    expect((await conn.read()).text()).toBe('on the port');
    await conn.close();
  });

  it('--host: listens on that address only', async () => {
    const echo = runCli(['echo', '--port', '0', '--host', '127.0.0.2']);
    const [, port] = await echo.waitFor(/listening on ws:\/\/127\.0\.0\.2:(\d+)/);
    const conn = await dial(`ws://127.0.0.2:${port}/`);
    await conn.send('x');
    expect((await conn.read()).text()).toBe('x');
    await conn.close();
    await expect(dial(`ws://127.0.0.1:${port}/`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('--codec js / auto: each serves (wasm is in cli.test.ts)', async () => {
    for (const codec of ['js', 'auto']) {
      const echo = runCli(['echo', '--port', '0', '--codec', codec]);
      const [, url] = await echo.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)/);
      const conn = await dial(url);
      await conn.send(new Uint8Array(3000).fill(5));
      expect((await conn.read()).data.length).toBe(3000);
      await conn.close();
    }
  });

  it('a port in use is one line naming it, exit 1, no stack trace', async () => {
    const first = runCli(['echo', '--port', '0']);
    const [, port] = await first.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
    const second = runCli(['echo', '--port', port]);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toBe(`wasmws: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
  });
});

describe('wasmws command-line errors', () => {
  it.each([
    [['echo', '--codec', 'foo'], /--codec must be auto, wasm, js; got "foo"/],
    [['echo', '--port', 'abc'], /--port must be an integer 0-65535, got "abc"/],
    [['echo', '--port', '70000'], /--port must be an integer 0-65535/],
    [['echo', '--port'], /--port needs a value/],
    [['echo', '--bogus'], /unknown flag --bogus/],
    [['echo', '--no-compression=yes'], /--no-compression takes no value/],
    [['echo', '--host', ''], /--host must not be empty/],
    [['echo', 'extra'], /unexpected argument "extra"/],
    [['bench', '--bogus'], /unknown flag --bogus/],
    [['bench', 'quick'], /unexpected argument "quick"/],
    [['connect'], /connect needs a URL/],
    [['connect', 'not a url'], /the URL is not a URL/],
    [['connect', 'ftp://127.0.0.1/'], /the URL must be ws:/],
    [['connect', 'ws://127.0.0.1:1/', '-H', 'no-colon'], /bad header "no-colon"/],
    [['connect', 'ws://127.0.0.1:1/', '--header', 'X: 1'], /unknown flag --header/],
    [['autobahn-client', '--codec', 'foo'], /--codec must be auto, wasm, js/],
    [['autobahn-client', '--agent', ''], /--agent must not be empty/],
    [['autobahn-client', 'http://127.0.0.1:9001'], /the base URL must be ws:/],
    [['chat', '--port', '-1'], /unknown flag -1|--port must be/],
    [['chat', '--port', '8080x'], /--port must be an integer/],
    [['chat', '--redis', 'not a url'], /--redis is not a URL/],
    [['chat', '--redis', 'http://127.0.0.1:6379'], /--redis must be redis:\/\/ or rediss:\/\//],
  ])('%j exits 2 with one line: the problem and the usage', async (args, problem) => {
    const cli = runCli(args);
    expect(await cli.exited).toBe(2);
    const lines = cli.stderr().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(problem);
    expect(lines[0]).toMatch(new RegExp(`^wasmws ${args[0]}: .*\\(usage: wasmws ${args[0]} `));
    expect(cli.stdout()).toBe('');
  });

  it('an unknown command or none exits 2 with the usage; --help exits 0', async () => {
    const unknown = runCli(['serve']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toMatch(/^wasmws: unknown command "serve"\nusage: wasmws <command>/);
    const none = runCli([]);
    expect(await none.exited).toBe(2);
    const help = runCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('wasmws echo [--port 9001] [--host 127.0.0.1] [--codec auto|wasm|js] [--no-compression]');
    const commandHelp = runCli(['connect', '--help']);
    expect(await commandHelp.exited).toBe(0);
    expect(commandHelp.stdout()).toMatch(/^usage: wasmws connect <url>/);
  });
});

describe('wasmws chat flags', () => {
  it('--host and --port: the page is served there', async () => {
    const port = await freePort('127.0.0.2');
    const chat = runCli(['chat', '--host', '127.0.0.2', '--port', String(port)]);
    const [, url] = await chat.waitFor(/chat on (http:\/\/\S+)/);
    expect(url).toBe(`http://127.0.0.2:${port}/`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<');
    chat.child.kill('SIGTERM');
    expect(await chat.exited).toBe(0);
  });

  it('--redis naming a Redis that does not answer: says it is waiting instead of sitting silent', async () => {
    const chat = runCli(['chat', '--port', '0', '--redis', `redis://127.0.0.1:${await freePort()}`]);
    await chat.waitFor(/chat: waiting for Redis at redis:\/\/127\.0\.0\.1:\d+ \(is it running\?\)/);
    expect(chat.stdout()).toBe('');
  }, 10_000);
});
