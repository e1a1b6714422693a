import { HandshakeError, WebSocketError } from '../errors';
import { acceptResponse, PERMESSAGE_DEFLATE, type CompressionOptions } from '../extensions/deflate-negotiation';
import { parseExtensions } from '../extensions/extension-header';
import { PerMessageDeflate } from '../extensions/permessage-deflate';
import { acceptKeyFor } from './accept-key';
import { emptyFields, isFieldName, isFieldValue, type HeaderFields } from './http-fields';
import type { HttpHead } from './http-head';
import { hasToken, headerTokens, headerValue, isToken } from './tokens';

/** What the client sends: the target and the offers. */
export interface ClientRequest {
  /** Request target: path and query. */
  path: string;
  /** Host header value (host[:port]). */
  host: string;
  key: string;
  subprotocols: readonly string[];
  headers: Record<string, string>;
}

/**
 * Fields the handshake itself writes: a user header of the same name would send the field
 * twice (or undo the handshake). Subprotocols and compression have their own options.
 */
const HANDSHAKE_FIELDS = [
  'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-accept',
  'sec-websocket-protocol', 'sec-websocket-extensions',
];

/**
 * Checks the user's extra request headers: names are tokens, values hold no control byte
 * (no CR/LF splitting the request, RFC 9110 §5.5), and none is a field the handshake writes.
 * Host is allowed (it replaces the one derived from the URL). Throws WS_ERR_INVALID_ARGUMENT.
 */
export function checkUserHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!isFieldName(name)) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `header name ${JSON.stringify(name)} is not a token`);
    if (!isFieldValue(String(value))) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `header ${name} holds a line break or control character`);
    if (HANDSHAKE_FIELDS.includes(name.toLowerCase())) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `header ${name} is written by the handshake; use the subprotocols or compression option`);
  }
}

/** The opening handshake request. RFC 6455 §4.1. `headers` were checked by checkUserHeaders. */
export function buildRequest(req: ClientRequest): string {
  for (const p of req.subprotocols) {
    if (!isToken(p)) throw new HandshakeError(`subprotocol ${JSON.stringify(p)} is not a token`);
  }
  const lines = [
    `GET ${req.path} HTTP/1.1`,
    `Host: ${req.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${req.key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (req.subprotocols.length > 0) lines.push(`Sec-WebSocket-Protocol: ${req.subprotocols.join(', ')}`);
  for (const [name, value] of Object.entries(req.headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** What the server agreed to. */
export interface AcceptedResponse {
  subprotocol: string;
  extensions: string;
}

/**
 * Checks a 101 response. RFC 6455 §4.1 (client requirements 1-6): an HTTP/1.1 101 (the
 * handshake is an HTTP/1.1 Upgrade, RFC 9110 §7.8, §15.2), Upgrade and Connection
 * tokens, Sec-WebSocket-Accept for our key, a subprotocol we offered (or none), and no
 * extension we did not offer (this client offers none unless compression says otherwise).
 */
export function checkResponse(head: HttpHead, req: ClientRequest, offeredExtensions: readonly string[]): AcceptedResponse | HandshakeError {
  const headers = flatten(head.headers);
  const status = Number(head.startLine[1]);
  const fail = (message: string) => new HandshakeError(message, status, headers);
  if (status !== 101) return fail(`expected status 101, got ${status} ${head.startLine[2]}`.trim());
  if (head.startLine[0] !== 'HTTP/1.1') return fail(`a 101 response must be HTTP/1.1, got ${head.startLine[0]}`);
  if (!hasToken(head.headers.upgrade, 'websocket')) return fail('response Upgrade header is not "websocket"');
  if (!hasToken(head.headers.connection, 'upgrade')) return fail('response Connection header does not contain "Upgrade"');
  const accept = head.headers['sec-websocket-accept'];
  if (Array.isArray(accept)) return fail('more than one Sec-WebSocket-Accept header'); // RFC 6455 §11.3.3
  if (accept !== acceptKeyFor(req.key)) return fail('Sec-WebSocket-Accept does not match the key sent');
  const protocols = headerTokens(head.headers['sec-websocket-protocol']);
  if (protocols.length > 1) return fail('server chose more than one subprotocol');
  const subprotocol = protocols[0] ?? '';
  if (subprotocol && !req.subprotocols.includes(subprotocol)) return fail(`server chose subprotocol ${subprotocol}, which was not offered`);
  const extensions = headerValue(head.headers['sec-websocket-extensions']) ?? '';
  for (const ext of headerTokens(extensions)) {
    const name = ext.split(';')[0].trim();
    if (!offeredExtensions.includes(name)) return fail(`server agreed to extension ${name}, which was not offered`);
  }
  return { subprotocol, extensions };
}

/**
 * The permessage-deflate the server agreed to (over HTTP/1.1 or HTTP/2), if any: an
 * extension we did not offer, or a response we did not allow, fails the dial (1010 semantics).
 */
export function agreedDeflate(extensions: string, compression: CompressionOptions | undefined, status: number): PerMessageDeflate | undefined {
  if (!extensions) return undefined;
  const parsed = parseExtensions(extensions);
  const deflates = parsed?.filter((e) => e.name === PERMESSAGE_DEFLATE) ?? [];
  if (!compression || parsed === undefined || deflates.length !== 1 || parsed.length !== 1) {
    throw new HandshakeError(`unacceptable extensions (Sec-WebSocket-Extensions): ${extensions}`, status);
  }
  const params = acceptResponse(deflates[0], compression);
  if (typeof params === 'string') throw new HandshakeError(`permessage-deflate: ${params}`, status);
  return new PerMessageDeflate(params, 'client', compression);
}

/** Headers as single strings (repeats joined), in a null-prototype map. */
export function flatten(headers: HeaderFields): Record<string, string> {
  const out = emptyFields() as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) out[name] = headerValue(value) ?? '';
  return out;
}

/** A response head as the caller sees it (the shape of node's IncomingMessage fields). */
export interface ResponseHead {
  /** The status code. */
  status: number;
  /** The reason phrase (may be empty). */
  statusText: string;
  /** 'HTTP/1.1' or 'HTTP/1.0' without the prefix: '1.1', '1.0'. */
  httpVersion: string;
  /** Lower-case names; a repeated field is an array of its values in order. */
  headers: Record<string, string | string[]>;
  /** The header lines as received: name, value, name, value, ... */
  rawHeaders: string[];
}

/** The caller's view of a parsed response head. */
export function responseHead(head: HttpHead): ResponseHead {
  const headers = emptyFields();
  for (const [name, value] of Object.entries(head.headers)) headers[name] = Array.isArray(value) ? [...value] : value;
  const rawHeaders: string[] = [];
  for (const line of head.headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return {
    status: Number(head.startLine[1]), statusText: head.startLine[2], httpVersion: head.startLine[0].replace(/^HTTP\//, ''), headers, rawHeaders,
  };
}
