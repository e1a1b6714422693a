import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import { RawPeer } from './raw-peer';

export { selfSignedCert } from './handshake-peers';

/** An HTTP/2 session from Node's own client, once the server's SETTINGS are in. */
export async function h2Session(port: number, ca: Buffer): Promise<ClientHttp2Session> {
  const session = connect(`https://localhost:${port}`, { ca });
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** The extended CONNECT headers of RFC 8441 §4-5, with `extra` on top. */
export function connectHeaders(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/', ':authority': `localhost:${port}`,
    'sec-websocket-version': '13', ...extra,
  };
}

/** Opens an extended CONNECT stream by hand and waits for the response headers. */
export async function h2Connect(session: ClientHttp2Session, headers: Record<string, string>): Promise<{ stream: ClientHttp2Stream; response: IncomingHttpHeaders }> {
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => {});
  const response = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('close', () => reject(new Error(`stream closed before a response (rst ${stream.rstCode})`)));
  });
  return { stream, response };
}

/**
 * A raw client peer (masked frames written by the test) on an extended CONNECT stream. It
 * ends its half when the server ends its own, as a TCP socket (allowHalfOpen false) does.
 */
export async function rawH2Client(session: ClientHttp2Session, port: number, extra: Record<string, string> = {}, allowRsv1 = false): Promise<{ peer: RawPeer; stream: ClientHttp2Stream; response: IncomingHttpHeaders }> {
  const { stream, response } = await h2Connect(session, connectHeaders(port, extra));
  const peer = new RawPeer(stream as unknown as Socket, 'client', new Uint8Array(0), allowRsv1);
  stream.on('end', () => stream.end());
  return { peer, stream, response };
}
