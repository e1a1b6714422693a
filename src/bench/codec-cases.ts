import type { FrameCodec, FrameHeader } from '../codec/codec';
import { UTF8_ACCEPT } from '../codec/constants';
import { FrameReader } from '../frame/reader';
import { repsFor, type BenchCase } from './harness';
import { clientFrames, randomBytes, SIZES, typicalText } from './inputs';

/** A codec to measure, under the name the table shows. */
export interface NamedCodec {
  impl: string;
  codec: FrameCodec;
}

/** mask on a JS Uint8Array (the public call: copy in and out of WASM included). */
export function maskCases(codecs: NamedCodec[], sizes = SIZES): BenchCase[] {
  return sizes.flatMap(([size, bytes]) => {
    const input = randomBytes(bytes);
    const reps = repsFor(bytes);
    return codecs.map(({ impl, codec }) => ({
      group: 'mask', size, impl, bytes, reps,
      run: () => { for (let i = 0; i < reps; i++) codec.mask(input, 0, bytes, 0x12345678, 0); },
    }));
  });
}

/** utf8 on typical text in a JS Uint8Array. */
export function utf8Cases(codecs: NamedCodec[], sizes = SIZES): BenchCase[] {
  return sizes.flatMap(([size, bytes]) => {
    const input = typicalText(bytes);
    const reps = repsFor(bytes);
    return codecs.map(({ impl, codec }) => ({
      group: 'utf8', size, impl, bytes, reps,
      run: () => {
        for (let i = 0; i < reps; i++) {
          if (codec.utf8(input, 0, bytes, UTF8_ACCEPT) !== UTF8_ACCEPT) throw new Error('utf8 rejected valid text');
        }
      },
    }));
  });
}

/** writeHeader for a masked 64 KiB frame (the 10-byte length form). */
export function headerCases(codecs: NamedCodec[]): BenchCase[] {
  const dst = new Uint8Array(14);
  const h: FrameHeader = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 2, masked: true, maskKey: 0xabcdef01, payloadLength: 65536, headerLength: 0 };
  const reps = 1000;
  return codecs.map(({ impl, codec }) => ({
    group: 'header write', size: '14 B', impl, bytes: 14, reps,
    run: () => { for (let i = 0; i < reps; i++) codec.writeHeader(dst, 14, h); },
  }));
}

/**
 * The server read path: masked client frames in 64 KiB socket chunks -> FrameReader ->
 * messages delivered (binary, so unmasking in place twice does not matter to the result).
 */
export function readPathCases(codecs: NamedCodec[], shapes: [string, number, number][]): BenchCase[] {
  return shapes.flatMap(([size, count, payloadBytes]) => {
    const chunks = clientFrames(count, payloadBytes);
    return codecs.map(({ impl, codec }) => {
      let delivered = 0;
      const reader = new FrameReader({ role: 'server', codec }, {
        onMessage: () => { delivered++; },
        onControl: () => {},
        onError: (e) => { throw e; },
      });
      return {
        group: 'read path', size, impl, bytes: count * payloadBytes, reps: 1,
        run: () => {
          delivered = 0;
          for (const chunk of chunks) reader.push(chunk);
          if (delivered !== count) throw new Error(`${impl}: ${delivered} of ${count} messages`);
        },
      };
    });
  });
}

/** Read-path shapes: [label, frames, payload bytes]. Small frames come many to a chunk. */
export const READ_SHAPES: [string, number, number][] = [
  ['1 × 16 B', 1, 16], ['4 × 16 B', 4, 16], ['16 × 16 B', 16, 16], ['64 × 16 B', 64, 16],
  ['64 × 125 B', 64, 125], ['64 × 1 KiB', 64, 1024], ['16 × 16 KiB', 16, 16384],
  ['4 × 64 KiB', 4, 65536], ['1 × 1 MiB', 1, 1 << 20], ['1 × 16 MiB', 1, 16 << 20],
];
