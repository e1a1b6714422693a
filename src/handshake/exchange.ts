import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { HandshakeError } from '../errors';
import { flatten } from './client';
import { ChunkedDecoder } from './chunked';
import { HttpHeadParser, type HttpHead } from './http-head';

/** Response body bytes kept on a HandshakeError. */
const MAX_ERROR_BODY_BYTES = 4096;
/** How long an error response's body is waited for. */
const ERROR_BODY_WAIT_MS = 500;

/** Interim (1xx) responses skipped before the final one, at most: a server that sends them without end is refused. */
const MAX_INTERIM_RESPONSES = 16;

/** A 1xx other than 101 (which is final for an upgrade): RFC 9110 §15.2, more responses follow. */
function isInterim(head: HttpHead): boolean {
  const status = Number(head.startLine[1]);
  return status >= 100 && status <= 199 && status !== 101;
}

/**
 * Writes a request head and reads the response head; the socket is left paused after it,
 * and the bytes that came after the head are in `rest`. Interim 1xx responses before it
 * (100 Continue, 103 Early Hints) are skipped, as RFC 9110 §15.2 requires of a client.
 */
export function exchangeHead(socket: Socket, request: string, maxHeadBytes = 16 * 1024): Promise<HttpHead> {
  return new Promise((resolve, reject) => {
    let parser = new HttpHeadParser(maxHeadBytes, 'response');
    let interim = 0;
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Uint8Array) => {
      try {
        let head = parser.push(chunk);
        while (head !== undefined && isInterim(head)) {
          if (++interim > MAX_INTERIM_RESPONSES) throw new HandshakeError(`more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`, 0);
          parser = new HttpHeadParser(maxHeadBytes, 'response');
          head = head.rest.length > 0 ? parser.push(head.rest) : undefined;
        }
        if (head === undefined) return;
        socket.pause();
        cleanup();
        resolve(head);
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onError = (err: Error) => { cleanup(); reject(err); };
    const onClose = () => { cleanup(); reject(new HandshakeError('connection closed before the handshake response')); };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.resume(); // a previous exchange (the proxy's CONNECT) left it paused
    socket.write(request);
  });
}

/**
 * Up to 4 KiB of an error response's body, waiting at most 500 ms for it; never rejects. A
 * chunked body (Transfer-Encoding: chunked) is decoded; Content-Length or the end of the
 * stream bounds any other.
 */
export function readBody(socket: Socket, head: HttpHead): Promise<Uint8Array> {
  const fields = flatten(head.headers);
  if (/(^|,)\s*chunked\s*$/i.test(fields['transfer-encoding'] ?? '')) return readChunked(socket, head.rest);
  const declared = Number(fields['content-length'] ?? MAX_ERROR_BODY_BYTES);
  return readUpTo(socket, head.rest, Math.min(Number.isFinite(declared) ? declared : MAX_ERROR_BODY_BYTES, MAX_ERROR_BODY_BYTES));
}

/**
 * Up to `wanted` (at most 4 KiB) bytes of a body: those already in `rest`, then the
 * stream's, waiting at most 500 ms; never rejects. dialHttp2 reads an error response's
 * body from its stream with it.
 */
export function readUpTo(stream: Readable, rest: Uint8Array, wanted = MAX_ERROR_BODY_BYTES): Promise<Uint8Array> {
  const parts: Uint8Array[] = [rest.subarray(0, wanted)];
  let have = parts[0].length;
  if (have >= wanted) return Promise.resolve(parts[0].slice());
  return collect(stream, (chunk) => {
    parts.push(chunk);
    have += chunk.length;
    return have >= wanted;
  }, () => concat(parts, Math.min(have, wanted)));
}

function readChunked(socket: Socket, rest: Uint8Array): Promise<Uint8Array> {
  const decoder = new ChunkedDecoder(MAX_ERROR_BODY_BYTES);
  decoder.push(rest);
  const body = () => concat(decoder.parts, decoder.length);
  if (decoder.done) return Promise.resolve(body());
  return collect(socket, (chunk) => { decoder.push(chunk); return decoder.done; }, body);
}

/** Feeds the stream's data to `take` until it says done, the stream ends, errs or closes, or 500 ms pass. */
function collect(socket: Readable, take: (chunk: Uint8Array) => boolean, result: () => Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('error', finish);
      socket.off('close', finish);
      resolve(result());
    };
    const onData = (chunk: Uint8Array) => { if (take(chunk)) finish(); };
    const timer = setTimeout(finish, ERROR_BODY_WAIT_MS);
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('error', finish); // a reset mid-body ends the body; unheard, it would crash the process
    socket.once('close', finish); // an HTTP/2 stream reset (RST_STREAM) closes without an end
    socket.resume();
  });
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const body = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    if (at >= length) break;
    const piece = p.subarray(0, length - at);
    body.set(piece, at);
    at += piece.length;
  }
  return body;
}
