import { js } from '../codec/js/index';

/** The sizes every kernel is measured at. */
export const SIZES: readonly [string, number][] = [
  ['16 B', 16], ['125 B', 125], ['1 KiB', 1024], ['16 KiB', 16384],
  ['64 KiB', 65536], ['1 MiB', 1 << 20], ['16 MiB', 16 << 20],
];

/** Pseudo-random bytes, reproducible run to run. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Text as a chat or JSON API sends it: mostly ASCII with some 2- and 3-byte characters. */
export function typicalText(length: number): Uint8Array {
  const sample = new TextEncoder().encode('{"user":"zoë","text":"héllo wörld — 12 € ok","n":42} ');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += sample.length) out.set(sample.subarray(0, Math.min(sample.length, length - i)), i);
  // Never end inside a character: pad the tail with ASCII back to the last character start.
  let end = length;
  while (end > 0 && (out[end - 1] & 0xc0) === 0x80) end--;
  if (end > 0 && out[end - 1] >= 0xc0) end--;
  out.fill(0x20, end);
  return out;
}

/**
 * `count` masked client frames of `payloadBytes` each, back to back, cut into socket-sized
 * chunks of at most 64 KiB, as a server reads them.
 */
export function clientFrames(count: number, payloadBytes: number, opcode = 2): Uint8Array[] {
  const headerLength = (payloadBytes < 126 ? 2 : payloadBytes < 65536 ? 4 : 10) + 4;
  const wire = new Uint8Array(count * (headerLength + payloadBytes));
  const payload = opcode === 1 ? typicalText(payloadBytes) : randomBytes(payloadBytes, 7);
  const header = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode, masked: true, maskKey: 0, payloadLength: payloadBytes, headerLength };
  for (let i = 0, at = 0; i < count; i++) {
    header.maskKey = (0x9e3779b9 * (i + 1)) >>> 0;
    js.writeHeader(wire, at + headerLength, header);
    wire.set(payload, at + headerLength);
    js.mask(wire, at + headerLength, at + headerLength + payloadBytes, header.maskKey, 0);
    at += headerLength + payloadBytes;
  }
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < wire.length; at += 65536) chunks.push(wire.subarray(at, Math.min(at + 65536, wire.length)));
  return chunks;
}
