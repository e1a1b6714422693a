import { js } from '../../src/codec/js/index';
import { referenceMask } from './codecs';

export interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Mask key, or undefined for an unmasked frame. */
  key?: number;
}

/** Encodes exact frame bytes for tests, independent of FrameWriter. */
export function frame(spec: FrameSpec): Uint8Array {
  const masked = spec.key !== undefined;
  const length = spec.payload.length;
  const headerLength = (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
  const out = new Uint8Array(headerLength + length);
  js.writeHeader(out, headerLength, {
    fin: spec.fin ?? true, rsv1: spec.rsv1 ?? false, rsv2: spec.rsv2 ?? false, rsv3: spec.rsv3 ?? false,
    opcode: spec.opcode, masked, maskKey: spec.key ?? 0, payloadLength: length, headerLength,
  });
  out.set(spec.payload, headerLength);
  if (masked) referenceMask(out, headerLength, out.length, spec.key!, 0);
  return out;
}

const encoder = new TextEncoder();

/** A client (masked) frame. */
export function clientFrame(opcode: number, payload: Uint8Array | string, options: Partial<FrameSpec> = {}): Uint8Array {
  return frame({ opcode, payload: typeof payload === 'string' ? encoder.encode(payload) : payload, key: 0x11223344, ...options });
}

/** A server (unmasked) frame. */
export function serverFrame(opcode: number, payload: Uint8Array | string, options: Partial<FrameSpec> = {}): Uint8Array {
  return frame({ opcode, payload: typeof payload === 'string' ? encoder.encode(payload) : payload, ...options });
}
