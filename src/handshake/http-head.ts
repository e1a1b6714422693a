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
  private buffer = new Uint8Array(512);
  private length = 0;
  /** Bytes [0, scanned) have been checked for line endings. */
  private scanned = 0;

  constructor(private readonly maxBytes: number, private readonly kind: 'request' | 'response') {}

  /** Feeds bytes; returns the head once complete, undefined while more is needed. Throws HandshakeError on a bad or oversized head. */
  push(chunk: Uint8Array): HttpHead | undefined {
    this.append(chunk);
    const buf = this.buffer;
    for (let i = this.scanned; i < this.length; i++) {
      const byte = buf[i];
      if (i > 0 && buf[i - 1] === CR && byte !== LF) throw this.malformed('a CR not followed by LF');
      if (byte !== LF) continue;
      if (i === 0 || buf[i - 1] !== CR) throw this.malformed('a line ending in a bare LF');
      if (i >= 3 && buf[i - 2] === LF && buf[i - 3] === CR) return this.complete(i + 1 - CRLFCRLF_LENGTH);
    }
    this.scanned = this.length;
    if (this.length > this.maxBytes) throw this.tooLarge();
    return undefined;
  }

  private append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length = needed;
  }

  /** The head is bytes [0, end); the blank line follows it. */
  private complete(end: number): HttpHead {
    if (end > this.maxBytes) throw this.tooLarge();
    const text = latin1(this.buffer, end);
    const rest = this.buffer.slice(end + CRLFCRLF_LENGTH, this.length);
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

/**
 * bytes[0, end) as ISO-8859-1, one character per byte. TextDecoder('latin1') would not do:
 * outside Node it is windows-1252 (0x80 becomes '€'). A head is a few KiB at most.
 */
function latin1(bytes: Uint8Array, end: number): string {
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
