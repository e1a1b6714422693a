import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Conn } from './conn/connection';
import { HandshakeError } from './errors';
import { acceptHeaders, checkConnectRequest, connectRequest, rejectHeaders } from './handshake/server-h2';
import type { ResolvedConnOptions } from './options';
import type { Upgrader } from './server';
import { Http2StreamSocket } from './transport/http2-stream';
import { negotiateUpgrade, serverDeflate } from './upgrade-negotiation';

/**
 * Upgrader.upgradeHttp2's body (RFC 8441 §5): the extended CONNECT checked by the same
 * negotiateUpgrade() as an HTTP/1.1 upgrade, then :status 200 and a Conn on the stream.
 */
export function upgradeStream(
  upgrader: Upgrader, options: ResolvedConnOptions, stream: ServerHttp2Stream, headers: IncomingHttpHeaders,
  onClosed?: (conn: Conn) => void,
): Conn | null {
  const request = connectRequest(headers);
  const agreed = negotiateUpgrade(upgrader.options, request, () => checkConnectRequest(request, upgrader.handshakePolicy));
  if (agreed instanceof HandshakeError) {
    rejectStream(stream, agreed);
    upgrader.reportRejection(agreed, request);
    return null;
  }
  try {
    stream.respond(acceptHeaders(agreed.accepted, agreed.extensions, agreed.extra));
  } catch (err) {
    // A stream the peer reset meanwhile, or a header value node:http2 refuses.
    const error = new HandshakeError(`could not answer the CONNECT: ${(err as Error).message}`, 500, {}, undefined, { cause: err });
    rejectStream(stream, error);
    upgrader.reportRejection(error, request);
    return null;
  }
  return new Conn({
    socket: new Http2StreamSocket(stream), role: 'server', options, request, onClosed,
    subprotocol: agreed.accepted.subprotocol, extensions: agreed.extensions, deflate: serverDeflate(upgrader.options, agreed),
  });
}

/** The error status on the stream, then END_STREAM; never the session. */
export function rejectStream(stream: ServerHttp2Stream, error: HandshakeError): void {
  if (stream.destroyed || stream.closed) return;
  stream.on('error', ignore);
  try {
    if (!stream.headersSent) stream.respond(rejectHeaders(error));
    stream.end(`${error.message}\n`);
  } catch {
    stream.close(constants.NGHTTP2_CANCEL); // the stream is unusable, the session is not
  }
  // The peer may never end its half: do not keep the stream open for it.
  setTimeout(() => { if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL); }, 1000).unref();
}

function ignore(): void {}
