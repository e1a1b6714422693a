import { HandshakeError } from '../errors';
import { framingError, parseFieldLines, type HeaderFields } from './http-fields';

/** A parsed HTTP/1.1 message head (request or response). Header names are lower-case. */
export interface HttpHead {
  /** Request: method, target, version. Response: version, status, reason. */
  startLine: [string, string, string];
  /** Null-prototype map: any name a peer sends is an own entry, never an inherited member. */
  headers: HeaderFields;
  /** The header lines as received (latin1), from which `headers` was parsed. */
  headerText: string;
  /** Bytes after the blank line that ends the head (the start of the WebSocket stream). */
  rest: Uint8Array;
}

const CR = 13;
const LF = 10;
const CRLFCRLF_LENGTH = 4;

/**
 * Accumulates bytes until a complete HTTP/1.1 head has arrived, refusing heads larger than
 * `maxBytes` (a request with a 64 KiB header, or garbage with no blank line, never grows
 * memory past the limit). RFC 9112 §2-5, applied strictly: every line ends with CRLF
 * (a bare CR or LF is refused as soon as it arrives, §2.2), no obsolete line folding, field
 * names are tokens, values hold no control bytes, the version is HTTP/1.0 or HTTP/1.1,
 * the framing headers are unambiguous (§6).
 *
 * Errors are HandshakeErrors: for a request with status 400 (431 when too large), the
 * answer to send; for a response with status 0, since no valid status was received.
 */
export class HttpHeadParser {
  /** Bytes of a head that spans chunks; made only then (most heads arrive in one read). */
  private buffer: Uint8Array | null = null;
  private length = 0;
  /** Bytes [0, scanned) have been checked for line endings. */
  private scanned = 0;

  constructor(private readonly maxBytes: number, private readonly kind: 'request' | 'response') {}

  /** Feeds bytes; returns the head once complete, undefined while more is needed. Throws HandshakeError on a bad or oversized head. */
  push(chunk: Uint8Array): HttpHead | undefined {
    // Nothing held yet: scan the chunk where it lies, copying only what must wait for more.
    const buf = this.length === 0 ? chunk : this.append(chunk);
    const length = this.length === 0 ? chunk.length : this.length;
    for (let i = this.scanned; i < length; i++) {
      const byte = buf[i];
      if (i > 0 && buf[i - 1] === CR && byte !== LF) throw this.malformed('a CR not followed by LF');
      if (byte !== LF) continue;
      if (i === 0 || buf[i - 1] !== CR) throw this.malformed('a line ending in a bare LF');
      if (i >= 3 && buf[i - 2] === LF && buf[i - 3] === CR) return this.complete(buf, i + 1 - CRLFCRLF_LENGTH, length);
    }
    if (this.length === 0) this.append(chunk);
    this.scanned = this.length;
    if (this.length > this.maxBytes) throw this.tooLarge();
    return undefined;
  }

  private append(chunk: Uint8Array): Uint8Array {
    const needed = this.length + chunk.length;
    let buffer = this.buffer;
    if (buffer === null || needed > buffer.length) {
      const grown = new Uint8Array(Math.max(needed, 512, buffer ? buffer.length * 2 : 0));
      if (buffer) grown.set(buffer.subarray(0, this.length));
      buffer = this.buffer = grown;
    }
    buffer.set(chunk, this.length);
    this.length = needed;
    return buffer;
  }

  /** The head is bytes [0, end) of `buf` (`length` bytes held); the blank line follows it. */
  private complete(buf: Uint8Array, end: number, length: number): HttpHead {
    if (end > this.maxBytes) throw this.tooLarge();
    const text = latin1(buf, end);
    // A copy: the rest must not keep a larger buffer (ours or the socket's chunk) alive.
    const rest = end + CRLFCRLF_LENGTH === length ? EMPTY : buf.slice(end + CRLFCRLF_LENGTH, length);
    const lineEnd = text.indexOf('\r\n');
    const first = lineEnd < 0 ? text : text.slice(0, lineEnd);
    const startLine = this.kind === 'request' ? parseRequestLine(first) : parseStatusLine(first);
    if (typeof startLine === 'string') throw this.malformed(startLine);
    const headerText = lineEnd < 0 ? '' : text.slice(lineEnd + 2);
    const headers = parseFieldLines(headerText);
    if (typeof headers === 'string') throw this.malformed(headers);
    const framing = framingError(headers);
    if (framing !== undefined) throw this.malformed(framing);
    return { startLine, headers, headerText, rest };
  }

  private malformed(detail: string): HandshakeError {
    return new HandshakeError(`malformed ${this.kind} head: ${detail}`, this.kind === 'request' ? 400 : 0);
  }

  private tooLarge(): HandshakeError {
    return new HandshakeError(`${this.kind} head larger than ${this.maxBytes} bytes`, this.kind === 'request' ? 431 : 0);
  }
}

const EMPTY = new Uint8Array(0);

/** Node's, Bun's and Deno's Buffer decodes latin1 natively; elsewhere the loop below. */
const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'latin1'): string } } }).Buffer;

/**
 * bytes[0, end) as ISO-8859-1, one character per byte. TextDecoder('latin1') would not do:
 * outside Node it is windows-1252 (0x80 becomes '€'). A head is a few KiB at most.
 */
function latin1(bytes: Uint8Array, end: number): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
  let text = '';
  for (let at = 0; at < end; at += 4096) {
    const slice = bytes.subarray(at, Math.min(end, at + 4096));
    text += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return text;
}

/** HTTP/1.0 or HTTP/1.1: a head in HTTP/1 syntax naming another version is malformed. */
const HTTP_1_VERSION = 'HTTP\\/1\\.[01]';
/** method SP request-target SP HTTP-version, single spaces (RFC 9112 §3); the target is visible ASCII. */
const REQUEST_LINE = new RegExp(`^([!#$%&'*+\\-.^_\`|~0-9A-Za-z]+) ([\\x21-\\x7e]+) (${HTTP_1_VERSION})$`);
/** HTTP-version SP 3DIGIT SP [reason-phrase] (RFC 9112 §4); the space before an empty reason is often left out. */
const STATUS_LINE = new RegExp(`^(${HTTP_1_VERSION}) ([1-9]\\d\\d)(?: ([\\t\\x20-\\x7e\\x80-\\xff]*))?$`);

/** origin-form ("/path?query"), absolute-form ("scheme://..."), or asterisk-form (RFC 9112 §3.2). */
const REQUEST_TARGET = /^(?:\/|[A-Za-z][A-Za-z0-9+.-]*:\/\/|\*$)/;

function parseRequestLine(line: string): [string, string, string] | string {
  const match = REQUEST_LINE.exec(line);
  if (!match) return 'malformed request line';
  if (!REQUEST_TARGET.test(match[2])) return `malformed request target ${JSON.stringify(match[2].slice(0, 40))}`;
  return [match[1], match[2], match[3]];
}

function parseStatusLine(line: string): [string, string, string] | string {
  const match = STATUS_LINE.exec(line);
  return match ? [match[1], match[2], match[3] ?? ''] : `malformed status line ${JSON.stringify(line.slice(0, 40))}`;
}
