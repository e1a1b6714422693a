import { createSecureServer, type ClientHttp2Session, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { DialOptions } from '../../src/client';
import { serve, type ServeHandler, type ServeOptions, type WebSocketServer } from '../../src/server';
import { h2Session, rawH2Client, selfSignedCert } from './h2';
import { rawClient, rawServer, RawPeer } from './raw-peer';

/** What a conformance test runs over: TCP (HTTP/1.1 upgrade) or an HTTP/2 stream (RFC 8441). */
export type Transport = 'tcp' | 'h2';

/** Every codec with every transport, for describe.each. */
export const CODEC_TRANSPORTS = [['js', 'tcp'], ['wasm', 'tcp'], ['js', 'h2'], ['wasm', 'h2']] as const;

/** One self-signed certificate per test file (selfSignedCert keeps it). */
export function testCert(): { key: Buffer; cert: Buffer } {
  return selfSignedCert();
}

/** serve() over the transport: plain, or TLS with HTTP/2. */
export function serveOver(transport: Transport, options: ServeOptions, handler: ServeHandler): Promise<WebSocketServer> {
  return serve(transport === 'h2' ? { ...options, tls: testCert(), http2: true } : options, handler);
}

const sessions = new Map<number, Promise<ClientHttp2Session>>();

/** Closes the HTTP/2 sessions rawClientOver opened. */
export function closeRawSessions(): void {
  for (const session of sessions.values()) void session.then((s) => s.destroy());
  sessions.clear();
}

/**
 * A raw client peer on the transport. Over h2 every peer of a port shares one session (as a
 * browser would).
 */
export async function rawClientOver(transport: Transport, port: number, extraHeaders = '', allowRsv1 = false): Promise<{ peer: RawPeer; response: string }> {
  if (transport === 'tcp') return rawClient(port, extraHeaders, allowRsv1);
  let session = sessions.get(port);
  if (!session) sessions.set(port, session = h2Session(port, testCert().cert));
  const extra = Object.fromEntries(extraHeaders.split('\r\n').filter(Boolean).map((line) => {
    const at = line.indexOf(':');
    return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
  }));
  const { peer, response } = await rawH2Client(await session, port, extra, allowRsv1);
  const head = [`HTTP/2 ${response[':status']}`, ...Object.entries(response).filter(([n]) => !n.startsWith(':')).map(([n, v]) => `${n}: ${String(v)}`)];
  return { peer, response: head.join('\r\n') };
}

/**
 * A raw server peer on the transport (its handshake written by hand), and how to dial it:
 * over h2, node:http2 answers the extended CONNECT with :status 200 and the peer gets the stream.
 */
export async function rawServerOver(transport: Transport, onPeer: (peer: RawPeer, request: string) => void | Promise<void>): Promise<{ server: Server | Http2SecureServer; url: string; dialOptions: DialOptions }> {
  if (transport === 'tcp') {
    const { server, port } = await rawServer(onPeer);
    return { server, url: `ws://127.0.0.1:${port}/`, dialOptions: {} };
  }
  const server = createSecureServer({ ...testCert(), settings: { enableConnectProtocol: true } });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200 });
    stream.on('end', () => stream.end());
    const peer = new RawPeer(stream as unknown as Socket, 'server');
    void onPeer(peer, JSON.stringify(headers));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, url: `wss://localhost:${port}/`, dialOptions: { http2: true, tls: { ca: testCert().cert } } };
}
