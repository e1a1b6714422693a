import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttps } from 'node:https';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Conn } from '../../src/conn/connection';
import { Upgrader } from '../../src/server';

/** A server a test started, with what it saw. */
export interface TestPeer {
  port: number;
  /** Every request head received, as latin1 text. */
  heads: string[];
  close(): void;
}

let cached: { cert: Buffer; key: Buffer } | undefined;

/** A self-signed certificate for localhost, 127.0.0.1 and ::1 (made once per test file, with openssl). */
export function selfSignedCert(): { cert: Buffer; key: Buffer } {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'wasmws-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cached = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

/** Reads one request head from `socket` and calls `onHead` with it (and the bytes after it). */
function onRequestHead(socket: Socket, onHead: (head: string, rest: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  const onData = (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    socket.off('data', onData);
    onHead(buf.subarray(0, end + 4).toString('latin1'), buf.subarray(end + 4));
  };
  socket.on('data', onData);
  socket.on('error', () => {});
}

/** A TCP server that answers every request head with `respond(head)` (null: no answer), then ends. */
export async function fakeHttpServer(respond: (head: string) => string | null | Promise<string | null>): Promise<TestPeer> {
  const heads: string[] = [];
  const server = createServer((socket) => onRequestHead(socket, (head) => {
    heads.push(head);
    void Promise.resolve(respond(head)).then((answer) => { if (answer !== null) socket.end(answer, 'latin1'); });
  }));
  const port = await listen(server);
  return { port, heads, close: () => server.close() };
}

/** Options of headerEchoServer(). */
export interface EchoServerOptions {
  /** Serve wss:// with this certificate. */
  tls?: { cert: Buffer; key: Buffer };
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** A Location to answer with a 302 instead of upgrading (undefined: upgrade). */
  redirect?: (url: string) => string | undefined;
  /** Subprotocols the server speaks. */
  subprotocols?: string[];
}

/** What a headerEchoServer connection sends as its one message. */
export interface EchoedRequest {
  url: string;
  headers: Record<string, string>;
  subprotocol: string;
  extensions: string;
}

/**
 * A WebSocket server on node:http(s) + Upgrader whose connections send one message, the
 * request they were opened with as JSON (EchoedRequest). With `tls` it is wss://, and
 * `servernames` records the SNI each TLS connection sent (false for none).
 */
export async function headerEchoServer(options: EchoServerOptions = {}): Promise<TestPeer & { servernames: (string | false)[] }> {
  const heads: string[] = [];
  const servernames: (string | false)[] = [];
  const upgrader = new Upgrader({ subprotocols: options.subprotocols });
  const http = options.tls ? createHttps(options.tls) : (await import('node:http')).createServer();
  http.on('secureConnection', (s: TLSSocket) => servernames.push(s.servername ?? false));
  http.on('upgrade', (req, socket, head) => {
    heads.push(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n${req.rawHeaders.map((v, i) => (i % 2 === 0 ? `${v}: ` : `${v}\r\n`)).join('')}\r\n`);
    const location = options.redirect?.(req.url ?? '/');
    if (location !== undefined) {
      socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const conn: Conn | null = upgrader.upgrade(req, socket, head);
    const echoed = { url: req.url, headers: req.headers, subprotocol: conn?.subprotocol, extensions: conn?.extensions };
    if (conn) void conn.send(JSON.stringify(echoed)).catch(() => {});
  });
  const port = await new Promise<number>((resolve) => http.listen(0, options.host ?? '127.0.0.1', () => resolve((http.address() as AddressInfo).port)));
  return { port, heads, servernames, close: () => http.close() };
}

/** Options of connectProxy(). */
export interface ProxyOptions {
  /** Speak TLS to clients (an https: proxy). */
  tls?: { cert: Buffer; key: Buffer };
  /** Answer a CONNECT head with these bytes instead of tunnelling (e.g. a 407). */
  answer?: (head: string) => string | undefined;
  /** The status line sent before tunnelling. Default "HTTP/1.1 200 Connection Established". */
  statusLine?: string;
}

/** A CONNECT proxy that records each CONNECT head and tunnels to the host:port it names ('localhost' dials 127.0.0.1). */
export async function connectProxy(options: ProxyOptions = {}): Promise<TestPeer> {
  const heads: string[] = [];
  const onClient = (client: Socket) => onRequestHead(client, (head, rest) => {
    heads.push(head);
    const answer = options.answer?.(head);
    if (answer !== undefined) { client.end(answer, 'latin1'); return; }
    const match = /^CONNECT (\[[^\]]+\]|[^:\s]+):(\d+) /.exec(head);
    if (!match) { client.end('HTTP/1.1 400 Bad Request\r\n\r\n'); return; }
    const host = match[1] === 'localhost' ? '127.0.0.1' : match[1].replace(/^\[|\]$/g, '');
    const upstream = connect(Number(match[2]), host, () => {
      client.write(`${options.statusLine ?? 'HTTP/1.1 200 Connection Established'}\r\n\r\n`);
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  const server = options.tls ? createTlsServer(options.tls, onClient) : createServer(onClient);
  const port = await listen(server as Server);
  return { port, heads, close: () => server.close() };
}
