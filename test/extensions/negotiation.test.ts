import { describe, expect, it } from 'vitest';
import { acceptOffer, acceptResponse, clientOffer, type CompressionOptions } from '../../src/extensions/deflate-negotiation';
import { formatExtension, parseExtensions } from '../../src/extensions/extension-header';

const offer = (header: string, options: CompressionOptions = {}) => {
  const parsed = parseExtensions(header);
  if (!parsed) throw new Error('unparsable');
  const agreed = acceptOffer(parsed, options);
  return agreed && formatExtension(agreed.response);
};

describe('Sec-WebSocket-Extensions parsing', () => {
  it('reads several offers with flags, tokens and quoted values', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10", x-foo')).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
      { name: 'permessage-deflate', params: [['server_max_window_bits', '10']] },
      { name: 'x-foo', params: [] },
    ]);
  });

  it.each(['permessage-deflate;', 'permessage-deflate; a=', 'permessage-deflate; a="unterminated', 'bad name', '; x', 'x; a="not a token"'])('rejects malformed %j', (header) => {
    expect(parseExtensions(header)).toBeUndefined();
  });
});

describe('server negotiation (RFC 7692 §7.1)', () => {
  it.each([
    ['the plainest offer: our 12-bit server window', 'permessage-deflate', {}, 'permessage-deflate; server_max_window_bits=12'],
    ['a bare client_max_window_bits: we limit the client to 12', 'permessage-deflate; client_max_window_bits', {}, 'permessage-deflate; server_max_window_bits=12; client_max_window_bits=12'],
    ['a smaller server window asked for', 'permessage-deflate; server_max_window_bits=10', {}, 'permessage-deflate; server_max_window_bits=10'],
    ['a larger server window asked for: ours is smaller', 'permessage-deflate; server_max_window_bits=15', {}, 'permessage-deflate; server_max_window_bits=12'],
    ['window 8 (agreed; we send uncompressed)', 'permessage-deflate; server_max_window_bits=8', {}, 'permessage-deflate; server_max_window_bits=8'],
    ['no context takeover both ways', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', {}, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12'],
    ['our options require client_no_context_takeover', 'permessage-deflate', { clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover; server_max_window_bits=12'],
    ['15-bit windows configured', 'permessage-deflate; client_max_window_bits', { serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, 'permessage-deflate'],
    ['a client value below ours', 'permessage-deflate; client_max_window_bits=9', {}, 'permessage-deflate; server_max_window_bits=12; client_max_window_bits=9'],
  ] as const)('accepts %s', (_name, header, options, response) => {
    expect(offer(header, options)).toBe(response);
  });

  it.each([
    ['a duplicate parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['a value on a flag', 'permessage-deflate; server_no_context_takeover=1'],
    ['window bits 7', 'permessage-deflate; server_max_window_bits=7'],
    ['window bits 16', 'permessage-deflate; client_max_window_bits=16'],
    ['a leading zero', 'permessage-deflate; server_max_window_bits=010'],
    ['a bare server_max_window_bits', 'permessage-deflate; server_max_window_bits'],
    ['an unknown parameter', 'permessage-deflate; foo=bar'],
    ['another extension only', 'x-webkit-deflate-frame'],
  ])('declines %s', (_name, header) => {
    expect(offer(header)).toBeUndefined();
  });

  it('takes the first acceptable of several offers', () => {
    expect(offer('permessage-deflate; foo, permessage-deflate; server_max_window_bits=11, permessage-deflate')).toBe('permessage-deflate; server_max_window_bits=11');
  });
});

describe('client negotiation', () => {
  it('offers permessage-deflate saying it accepts a client window limit', () => {
    expect(formatExtension(clientOffer({}))).toBe('permessage-deflate; client_max_window_bits');
    expect(formatExtension(clientOffer({ serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 })))
      .toBe('permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11');
  });

  const response = (header: string, options: CompressionOptions = {}) => acceptResponse(parseExtensions(header)![0], options);

  it('accepts what it allowed', () => {
    expect(response('permessage-deflate; server_max_window_bits=12; client_max_window_bits=12')).toEqual({
      serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 12, clientMaxWindowBits: 12,
    });
    expect(response('permessage-deflate; client_no_context_takeover')).toMatchObject({ clientNoContextTakeover: true, serverMaxWindowBits: 15 });
  });

  it.each([
    ['a bare client_max_window_bits in a response', 'permessage-deflate; client_max_window_bits', {}],
    ['a server window above the one asked for', 'permessage-deflate; server_max_window_bits=13', { serverMaxWindowBits: 12 }],
    ['no server window when one was asked for', 'permessage-deflate', { serverMaxWindowBits: 12 }],
    ['no server_no_context_takeover when asked for', 'permessage-deflate', { serverNoContextTakeover: true }],
    ['a client window above the one offered', 'permessage-deflate; client_max_window_bits=14', { clientMaxWindowBits: 10 }],
    ['an unknown parameter', 'permessage-deflate; x=1', {}],
  ] as const)('fails on %s', (_name, header, options) => {
    expect(typeof response(header, options)).toBe('string');
  });
});
