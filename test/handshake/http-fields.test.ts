import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFieldLines, type HeaderFields } from '../../src/handshake/http-fields';
import { acceptKeyFor } from '../../src/handshake/accept-key';

/** The line-by-line reading parseFieldLines had before its one-regex fast path: the reference. */
function reference(text: string): HeaderFields | string {
  const fields: HeaderFields = Object.create(null);
  if (text === '') return fields;
  for (const line of text.split('\r\n')) {
    if (line[0] === ' ' || line[0] === '\t') return 'obsolete line folding (RFC 9112 §5.2)';
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return `malformed header line ${JSON.stringify(line.slice(0, 40))}`;
    const raw = line.slice(colon + 1);
    const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) return `header ${name} holds a control character`;
    const lower = name.toLowerCase();
    if (lower === 'content-length' && !/^[ \t]*\d+ *$/.test(raw)) return `invalid Content-Length ${JSON.stringify(value.slice(0, 20))}`;
    const existing = fields[lower];
    if (existing === undefined) fields[lower] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[lower] = [existing, value];
  }
  return fields;
}

const plain = (fields: HeaderFields | string) => (typeof fields === 'string' ? fields : { ...fields });

describe('parseFieldLines', () => {
  it('reads exactly what the rule-by-rule reading reads, and refuses with the same reason', () => {
    // Lines from the pieces that matter: names (tokens, Content-Length in any case, bad
    // bytes), colons, SP/HTAB around values, control bytes, obs-text, empty lines.
    const piece = fc.constantFrom('Host', 'content-length', 'Content-Length', 'CONTENT-LENGTH', 'x', 'X-A', 'a b', ':', ': ', ' ', '\t', '12', '1\t', 'v', 'caf\xe9', '\x80', '\x7f', '\x00', '\x0b', '\r', '\n', '\r\n', '');
    const line = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
    fc.assert(fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
      const text = lines.join('\r\n');
      expect(plain(parseFieldLines(text))).toEqual(plain(reference(text)));
    }), { numRuns: 5000, seed: 13 });
  });

  it('takes typical upgrade requests on the fast path, repeated fields in order', () => {
    const text = 'Host: a:1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nX-Many: 1\r\nx-many:2  \r\nX-Empty:\r\nX-Obs: \xe9\t\r\nContent-Length: 0';
    expect(plain(parseFieldLines(text))).toEqual({ host: 'a:1', upgrade: 'websocket', connection: 'keep-alive, Upgrade', 'x-many': ['1', '2'], 'x-empty': '', 'x-obs': '\xe9', 'content-length': '0' });
    expect(parseFieldLines('Host: a\r\n')).toBe(reference('Host: a\r\n'));
  });
});

describe('acceptKeyFor', () => {
  it('is the RFC 6455 §1.3 example', () => {
    expect(acceptKeyFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});
