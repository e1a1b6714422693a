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
