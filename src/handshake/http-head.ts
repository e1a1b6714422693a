import { HandshakeError } from '../errors';

/** A parsed HTTP/1.1 message head (request or response). Header names are lower-case. */
export interface HttpHead {
  /** Request: method, target, version. Response: version, status, reason. */
  startLine: [string, string, string];
  headers: Record<string, string | string[]>;
  /** The header lines as received (latin1), from which `headers` was parsed. */
  headerText: string;
  /** Bytes after the blank line that ends the head (the start of the WebSocket stream). */
  rest: Uint8Array;
}

const CRLFCRLF = [13, 10, 13, 10];

function findHeadEnd(buf: Uint8Array, from: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * Accumulates bytes until a complete HTTP/1.1 head has arrived, refusing heads larger than
 * `maxBytes` (a request with a 64 KiB header, or garbage with no blank line, never grows
 * memory past the limit). RFC 9112 §2-5.
 */
export class HttpHeadParser {
  private buffer = new Uint8Array(0);

  constructor(private readonly maxBytes: number, private readonly kind: 'request' | 'response') {}

  /** Feeds bytes; returns the head once complete, undefined while more is needed. Throws HandshakeError on a bad or oversized head. */
  push(chunk: Uint8Array): HttpHead | undefined {
    const searchFrom = this.buffer.length;
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    const end = findHeadEnd(joined, searchFrom);
    if (end < 0) {
      if (joined.length > this.maxBytes) throw new HandshakeError(`${this.kind} head larger than ${this.maxBytes} bytes`, 431);
      return undefined;
    }
    if (end > this.maxBytes) throw new HandshakeError(`${this.kind} head larger than ${this.maxBytes} bytes`, 431);
    const text = latin1(joined, end);
    const rest = joined.subarray(end + CRLFCRLF.length);
    const lineEnd = text.indexOf('\r\n');
    const startLine = parseStartLine(lineEnd < 0 ? text : text.slice(0, lineEnd), this.kind);
    const headerText = lineEnd < 0 ? '' : text.slice(lineEnd + 2);
    return { startLine, headers: parseHeaderLines(headerText), headerText, rest };
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

function parseStartLine(first: string, kind: 'request' | 'response'): [string, string, string] {
  if (kind === 'request') {
    const parts = first.split(' ');
    if (parts.length !== 3 || !/^[A-Z]+$/.test(parts[0]) || !/^HTTP\/\d\.\d$/.test(parts[2])) {
      throw new HandshakeError('malformed request line', 400);
    }
    return [parts[0], parts[1], parts[2]];
  }
  const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
  if (!match) throw new HandshakeError('malformed status line', 0);
  return [match[1], match[2], match[3] ?? ''];
}

/** Parses header lines ("Name: value" joined by CRLF); names are lower-cased, repeats collected. */
export function parseHeaderLines(text: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (text === '') return headers;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) throw new HandshakeError(`malformed header line: ${JSON.stringify(line.slice(0, 40))}`, 400);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return headers;
}
