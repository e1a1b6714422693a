import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conn } from '../../src/conn/connection';
import { Upgrader } from '../../src/server';
import { CHROMIUM } from '../helpers/chromium';
import { testCert } from '../helpers/transports';

// A real Chromium loads a page over HTTP/2 from a node:http2 server that also has a request
// handler, and opens its WebSockets on that session (RFC 8441): the DevTools protocol shows
// the handshake status (200 over h2, 101 over HTTP/1.1). The same page with HTTP/2 disabled
// in the browser still works, over HTTP/1.1 upgrades on the same port.

const PAGE = `<!doctype html><meta charset="utf-8"><title>h2 ws</title><script>
window.runSockets = (count) => Promise.all(Array.from({ length: count }, (_, i) => new Promise((resolve, reject) => {
  const ws = new WebSocket('wss://' + location.host + '/ws');
  ws.binaryType = 'arraybuffer';
  const got = [];
  ws.onopen = () => { ws.send('text ' + i); ws.send(new Uint8Array([i, 1, 2, 3])); };
  ws.onmessage = (e) => {
    got.push(typeof e.data === 'string' ? e.data : Array.from(new Uint8Array(e.data)));
    if (got.length === 2) ws.close(1000, 'done');
  };
  ws.onclose = (e) => resolve({ got, code: e.code, clean: e.wasClean, extensions: ws.extensions });
  ws.onerror = () => reject(new Error('socket ' + i + ' failed'));
})));
</script>`;

let server: Http2SecureServer;
let url: string;
const sessions = new Set<Http2Session>();
const conns: { conn: Conn; over: 'h2' | 'h1' }[] = [];

function echo(conn: Conn, over: 'h2' | 'h1'): void {
  conns.push({ conn, over });
  void (async () => {
    for await (const m of conn) {
      if (m.type === 'text') await conn.send(`echo:${m.text()}`);
      else await conn.send(m.data.slice().reverse());
    }
  })().catch(() => {});
}

beforeAll(async () => {
  const upgrader = new Upgrader({ checkOrigin: () => true });
  server = createSecureServer({ ...testCert(), allowHTTP1: true, settings: { enableConnectProtocol: true } }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  server.on('connect', (req) => { const conn = upgrader.upgradeHttp2(req.stream, req.headers); if (conn) echo(conn, 'h2'); });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => { const conn = upgrader.upgrade(req, socket, head); if (conn) echo(conn, 'h1'); });
  server.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  for (const { conn } of conns) conn.terminate();
  for (const s of sessions) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function launch(extraArgs: string[]): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=LocalNetworkAccessChecks', '--ignore-certificate-errors', ...extraArgs],
  });
}

async function runPage(browser: Browser, count: number) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const statuses: number[] = [];
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => statuses.push(e.response.status));
  const response = await page.goto(url);
  const protocol = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
  const results = await page.evaluate((n) => (window as unknown as { runSockets(n: number): Promise<unknown[]> }).runSockets(n), count);
  await page.close();
  return { status: response?.status(), protocol, statuses, results: results as { got: unknown[]; code: number; clean: boolean; extensions: string }[] };
}

describe('Chromium and WebSockets over HTTP/2', () => {
  it('opens several sockets on the page\'s h2 session (handshake status 200), text and binary both ways, closes cleanly', async () => {
    const browser = await launch([]);
    try {
      conns.length = 0;
      const { status, protocol, statuses, results } = await runPage(browser, 4);
      expect([status, protocol]).toEqual([200, 'h2']);
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect(results).toEqual(Array.from({ length: 4 }, (_, i) => ({
        got: [`echo:text ${i}`, [3, 2, 1, i]], code: 1000, clean: true, extensions: expect.stringMatching(/^permessage-deflate/),
      })));
      expect(conns.map((c) => c.over)).toEqual(['h2', 'h2', 'h2', 'h2']);
      expect(sessions.size).toBe(1); // the page and its four WebSockets: one TCP+TLS connection
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('the same page with HTTP/2 off in the browser: HTTP/1.1 upgrades (status 101) on the same port', async () => {
    const browser = await launch(['--disable-http2']);
    try {
      conns.length = 0;
      const { protocol, statuses, results } = await runPage(browser, 2);
      expect(protocol).toBe('http/1.1');
      expect(statuses).toEqual([101, 101]);
      expect(results.map((r) => [r.got, r.code])).toEqual([[['echo:text 0', [3, 2, 1, 0]], 1000], [['echo:text 1', [3, 2, 1, 1]], 1000]]);
      expect(conns.map((c) => c.over)).toEqual(['h1', 'h1']);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
