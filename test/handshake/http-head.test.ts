import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/errors';
import { HttpHeadParser } from '../../src/handshake/http-head';

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('HttpHeadParser', () => {
  it('parses a request head split anywhere, keeping the bytes after it', () => {
    const raw = bytes('GET /chat?x=1 HTTP/1.1\r\nHost: a\r\nX-Many: 1\r\nx-many: 2\r\n\r\n\x81\x80');
    const headEnd = raw.length - 2; // the blank line ends 2 bytes before the end
    for (let cut = 1; cut < headEnd; cut++) {
      const parser = new HttpHeadParser(1024, 'request');
      expect(parser.push(raw.slice(0, cut))).toBeUndefined();
      const head = parser.push(raw.slice(cut))!;
      expect(head.startLine).toEqual(['GET', '/chat?x=1', 'HTTP/1.1']);
      expect(head.headers).toEqual({ host: 'a', 'x-many': ['1', '2'] });
      expect(head.headerText).toBe('Host: a\r\nX-Many: 1\r\nx-many: 2');
      expect(Array.from(head.rest)).toEqual([0x81, 0x80]);
    }
  });

  it('reads header bytes as ISO-8859-1, as HTTP parsers do (0x80-0x9f are not windows-1252)', () => {
    const head = new HttpHeadParser(1024, 'request').push(bytes('GET / HTTP/1.1\r\nX-Obs: caf\xe9 \x80\x9f\r\n\r\n'))!;
    expect(head.headers['x-obs']).toBe('caf\u00e9 \u0080\u009f');
  });

  it('refuses a head larger than its limit with 431, and a malformed one with 400', () => {
    const big = new HttpHeadParser(64, 'request');
    expect(() => big.push(bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}`))).toThrow(HandshakeError);
    const malformed = new HttpHeadParser(1024, 'request');
    let error: unknown;
    try { malformed.push(bytes('GET / HTTP/1.1\r\nBad Header: x\r\n\r\n')); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).status).toBe(400);
  });
});

/** The HandshakeError a request head is refused with, or undefined when it parses. */
function refusal(text: string, kind: 'request' | 'response' = 'request'): HandshakeError | undefined {
  try {
    new HttpHeadParser(4096, kind).push(bytes(text));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HandshakeError);
    return err as HandshakeError;
  }
}

const request = (extra: string, startLine = 'GET / HTTP/1.1') => `${startLine}\r\nHost: a\r\n${extra}\r\n`;

describe('HttpHeadParser: what llhttp refuses, refused with 400 (RFC 9112)', () => {
  it.each([
    ['a bare LF inside a value (one header read as two by other parsers)', request('Sec-WebSocket-Version: 13\nOrigin: https://evil.example\r\n')],
    ['a bare CR inside a value', request('Sec-WebSocket-Version: 13\rOrigin: https://evil.example\r\n')],
    ['LF-only line endings', 'GET / HTTP/1.1\nHost: a\n\n'],
    ['CR CR LF', request('X: 1\r\r\n')],
    ['a control byte in a name', request('X\x01Y: 1\r\n')],
    ['a NUL in a name', request('X\x00: 1\r\n')],
    ['a non-ASCII byte in a name', request('X\xe9: 1\r\n')],
    ['a quote in a name', request('X"Y: 1\r\n')],
    ['a space before the colon', request('X : 1\r\n')],
    ['an empty name', request(': 1\r\n')],
    ['a line with no colon', request('Xyz\r\n')],
    ['a NUL in a value', request('X: a\x00b\r\n')],
    ['a DEL in a value', request('X: a\x7fb\r\n')],
    ['a vertical tab in a value', request('X: a\x0bb\r\n')],
    ['a folded line (obs-fold)', request('X: a\r\n b\r\n')],
    ['a folded line with a tab', request('X: a\r\n\tb\r\n')],
    ['HTTP/2.0 in the request line', request('', 'GET / HTTP/2.0')],
    ['HTTP/1.2', request('', 'GET / HTTP/1.2')],
    ['a lower-case version', request('', 'GET / http/1.1')],
    ['two spaces in the request line', request('', 'GET  / HTTP/1.1')],
    ['a tab in the target', request('', 'GET /\t HTTP/1.1')],
    ['a control byte in the target', request('', 'GET /\x01 HTTP/1.1')],
    ['a space after the version', request('', 'GET / HTTP/1.1 ')],
    ['a method that is not a token', request('', 'G(T / HTTP/1.1')],
    ['a target in no request-target form', request('', 'GET chat HTTP/1.1')],
    ['a target that is one symbol', request('', 'GET = HTTP/1.1')],
    ['two Content-Length headers, even equal (RFC 9112 §6.3)', request('Content-Length: 0\r\nContent-Length: 0\r\n')],
    ['a Content-Length that is not digits', request('Content-Length: +5\r\n')],
    ['an empty Content-Length', request('Content-Length: \r\n')],
    ['a tab after the Content-Length digits', request('Content-Length: 0\t\r\n')],
    ['Content-Length with Transfer-Encoding', request('Content-Length: 0\r\nTransfer-Encoding: chunked\r\n')],
  ])('refuses %s', (_name, text) => {
    const error = refusal(text);
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(/^malformed request head/);
  });

  it('refuses a bare LF as soon as it arrives, without waiting for the end of the head', () => {
    const parser = new HttpHeadParser(4096, 'request');
    expect(parser.push(bytes('GET / HTTP/1.1\r\nHost: a\r\n'))).toBeUndefined();
    expect(() => parser.push(bytes('X: 1\n'))).toThrow(/bare LF/);
    const split = new HttpHeadParser(4096, 'request');
    expect(split.push(bytes('GET / HTTP/1.1\r'))).toBeUndefined(); // a CR at the end of a chunk waits for the next byte
    expect(() => split.push(bytes('X'))).toThrow(/CR not followed by LF/);
  });

  it('accepts what llhttp accepts: tabs and obs-text in values, trailing whitespace trimmed', () => {
    const head = new HttpHeadParser(4096, 'request').push(bytes(request('X-Tab: a\tb\r\nX-Obs: \xff\r\nX-Trim: \t v  \r\nX-Empty:\r\n')))!;
    expect(head.headers['x-tab']).toBe('a\tb');
    expect(head.headers['x-obs']).toBe('\xff');
    expect(head.headers['x-trim']).toBe('v');
    expect(head.headers['x-empty']).toBe('');
  });

  it('keeps names like __proto__, constructor and toString as plain entries of a null-prototype map', () => {
    const head = new HttpHeadParser(4096, 'request').push(bytes(request('__proto__: x\r\nconstructor: y\r\ntoString: z\r\nhasOwnProperty: w\r\n')))!;
    expect(Object.getPrototypeOf(head.headers)).toBeNull();
    expect(head.headers.__proto__).toBe('x');
    expect(head.headers.constructor).toBe('y');
    expect(head.headers.tostring).toBe('z');
    expect(head.headers.hasownproperty).toBe('w');
    expect(Object.keys(head.headers)).toEqual(['host', '__proto__', 'constructor', 'tostring', 'hasownproperty']);
  });

  it('reports a malformed response with status 0 (no status was received) and an oversized one too', () => {
    expect(refusal('HTTP/1.1 101 OK\r\nX: a\r\n b\r\n\r\n', 'response')).toMatchObject({ status: 0, message: expect.stringMatching(/malformed response head: obsolete line folding/) });
    expect(refusal('HTTP/2.0 101 OK\r\n\r\n', 'response')?.status).toBe(0);
    expect(refusal(`HTTP/1.1 101 OK\r\nX: ${'a'.repeat(5000)}\r\n\r\n`, 'response')?.status).toBe(0);
    expect(refusal('HTTP/1.1 101\r\n\r\n', 'response')).toBeUndefined(); // no reason phrase, no space: accepted
  });

  it('grows its buffer in steps: a head fed one byte at a time is parsed the same', () => {
    const raw = bytes(request(`X-Long: ${'v'.repeat(3000)}\r\n`) + '\x81\x00');
    const parser = new HttpHeadParser(4096, 'request');
    let head;
    for (let i = 0; i < raw.length && head === undefined; i++) head = parser.push(raw.subarray(i, i + 1));
    expect(head?.headers['x-long']).toBe('v'.repeat(3000));
  });
});

describe('HttpHeadParser on a head that arrives in one chunk', () => {
  it('reads it without holding the chunk: the rest is a copy, and an empty rest is empty', () => {
    const chunk = bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x00');
    const head = new HttpHeadParser(1024, 'request').push(chunk)!;
    expect(Array.from(head.rest)).toEqual([0x81, 0x00]);
    expect(head.rest.buffer).not.toBe(chunk.buffer);
    expect(new HttpHeadParser(1024, 'request').push(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))!.rest.length).toBe(0);
  });

  it('keeps an incomplete first chunk, then completes it from the next, still bounded by maxBytes', () => {
    const parser = new HttpHeadParser(40, 'request');
    const first = bytes('GET / HTTP/1.1\r\nHo');
    expect(parser.push(first)).toBeUndefined();
    first.fill(0); // the parser must hold its own copy, not the socket's chunk
    expect(parser.push(bytes('st: a\r\n\r\n'))!.headers).toEqual({ host: 'a' });
    const big = new HttpHeadParser(40, 'request');
    expect(big.push(bytes('GET / HTTP/1.1\r\n'))).toBeUndefined();
    expect(() => big.push(bytes(`X: ${'a'.repeat(40)}`))).toThrow(/larger than 40/);
  });
});
