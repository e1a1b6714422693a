import { describe, expect, it } from 'vitest';
import { js } from '../../src/codec/js/index';
import { encodeClosePayload, parseClosePayload } from '../../src/frame/close';
import { hex } from '../helpers/codecs';

describe('parseClosePayload', () => {
  it('reads an empty payload as 1005 (no status)', () => {
    expect(parseClosePayload(new Uint8Array(0), js)).toEqual({ code: 1005, reason: '' });
  });

  it('reads a code and a UTF-8 reason', () => {
    expect(parseClosePayload(hex('03 e8 c3 a9'), js)).toEqual({ code: 1000, reason: 'é' });
  });

  it.each([[0], [999], [1004], [1005], [1006], [1015], [1016], [2999], [5000], [65535]])('rejects close code %d with 1002', (code) => {
    const err = parseClosePayload(new Uint8Array([code >> 8, code & 0xff]), js);
    expect(err).toMatchObject({ code: 'WS_ERR_BAD_CLOSE_CODE', closeCode: 1002 });
  });

  it.each([[1000], [1003], [1007], [1014], [3000], [4999]])('accepts close code %d', (code) => {
    expect(parseClosePayload(new Uint8Array([code >> 8, code & 0xff]), js)).toEqual({ code, reason: '' });
  });

  it('rejects a 1-byte payload with 1002 and a bad reason with 1007', () => {
    expect(parseClosePayload(hex('03'), js)).toMatchObject({ closeCode: 1002 });
    expect(parseClosePayload(hex('03 e8 ff'), js)).toMatchObject({ code: 'WS_ERR_INVALID_CLOSE_REASON', closeCode: 1007 });
  });
});

describe('encodeClosePayload', () => {
  it('encodes a code and reason', () => {
    expect(encodeClosePayload(1001, 'bye')).toEqual(hex('03 e9 62 79 65'));
  });

  it('encodes no code as an empty payload', () => {
    expect(encodeClosePayload(undefined)).toEqual(new Uint8Array(0));
  });

  it('throws on misuse: reserved codes, long reasons, a reason without a code', () => {
    expect(() => encodeClosePayload(1005)).toThrow(/may not be sent/);
    expect(() => encodeClosePayload(1000, 'x'.repeat(124))).toThrow(/124 bytes/);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(/124 bytes/);
    expect(encodeClosePayload(1000, 'x'.repeat(123))).toHaveLength(125);
    expect(() => encodeClosePayload(undefined, 'why')).toThrow(/needs a close code/);
  });
});
