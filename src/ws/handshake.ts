// The server's opening handshake as ws shapes it (the `headers` event sees, and may extend,
// the 101's lines), built from wasmws's own rules: request validation, subprotocol tokens and
// permessage-deflate negotiation all come from src/handshake and src/extensions.
import { Buffer } from 'node:buffer';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpgradeRequest } from '../conn/connection';
import { HandshakeError } from '../errors';
import { acceptOffer, type CompressionOptions, type DeflateParams } from '../extensions/deflate-negotiation';
import { formatExtension, parseExtensions } from '../extensions/extension-header';
import { acceptKeyFor } from '../handshake/accept-key';
import { checkUpgradeRequest, rejectResponse } from '../handshake/server';
import { headerValue } from '../handshake/tokens';

/** A request that passed validation: what the 101 needs. */
export interface ValidUpgrade {
  key: string;
  /** The client's subprotocols, in its order (ws hands them over as a Set). */
  protocols: Set<string>;
  /** The permessage-deflate agreed, if any. */
  deflate: { params: DeflateParams; extension: string } | undefined;
}

/** Any origin is allowed: ws has no origin check (verifyClient is the application's tool). */
const anyOrigin = { checkOrigin: () => true };

/**
 * Validates an upgrade request (RFC 6455 §4.2.1, via checkUpgradeRequest) and negotiates
 * permessage-deflate (RFC 7692 §5). Returns a HandshakeError carrying the status to answer.
 */
export function validateUpgrade(req: IncomingMessage, compression: false | CompressionOptions): ValidUpgrade | HandshakeError {
  const request: UpgradeRequest = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers };
  const checked = checkUpgradeRequest(request, req.httpVersion ?? '1.1', anyOrigin);
  if (checked instanceof HandshakeError) return checked;
  const protocols = new Set<string>();
  const offered = headerValue(req.headers['sec-websocket-protocol']);
  if (offered !== undefined) {
    for (const p of offered.split(',')) {
      const name = p.trim();
      // RFC 6455 §4.1: the values are unique (ws rejects duplicates too).
      if (protocols.has(name)) return new HandshakeError('Sec-WebSocket-Protocol lists a subprotocol twice', 400);
      protocols.add(name);
    }
  }
  let deflate: ValidUpgrade['deflate'];
  const header = headerValue(req.headers['sec-websocket-extensions']);
  if (compression !== false && header !== undefined) {
    const offers = parseExtensions(header);
    const agreed = offers === undefined ? undefined : acceptOffer(offers, compression);
    if (agreed) deflate = { params: agreed.params, extension: formatExtension(agreed.response) };
  }
  return { key: checked.key, protocols, deflate };
}

/** The 101's lines before the `headers` event (ws's order). RFC 6455 §4.2.2. */
export function acceptLines(key: string, protocol: string | undefined, extension: string | undefined): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKeyFor(key)}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extension) lines.push(`Sec-WebSocket-Extensions: ${extension}`);
  return lines;
}

/**
 * The response head from the lines, once `headers` listeners have had them. A pushed line
 * holding CR or LF is dropped: it would split the response (header injection).
 */
export function responseHead(lines: readonly unknown[]): string {
  const safe = lines.filter((line): line is string => typeof line === 'string' && !/[\r\n]/.test(line));
  return `${safe.join('\r\n')}\r\n\r\n`;
}

/** Answers a handshake with an error status and closes the socket (as ws's abortHandshake). */
export function abortHandshake(socket: Duplex, status: number, message?: string, headers: Record<string, string> = {}): void {
  const body = message || STATUS_CODES[status] || 'Error';
  const all: Record<string, string | number> = {
    Connection: 'close', 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(body), ...headers,
  };
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(all)) if (!/[\r\n]/.test(`${name}${value}`)) lines.push(`${name}: ${value}`);
  endWith(socket, `${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Answers a request that failed validation (wasmws's error response: status, reason, 426's version). */
export function rejectInvalid(socket: Duplex, error: HandshakeError): void {
  endWith(socket, rejectResponse(error));
}

/** Writes `response` and destroys the socket once it is flushed (at once when it cannot be written). */
function endWith(socket: Duplex, response: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(response);
}
