import type { FrameCodec } from '../../src/codec/codec';
import type { ProtocolError } from '../../src/errors';
import { FrameReader, type FrameReaderOptions, type Role } from '../../src/frame/reader';

/** What a FrameReader reported, in order. */
export interface ReadEvents {
  messages: { opcode: number; data: Uint8Array; compressed: boolean }[];
  controls: { opcode: number; payload: Uint8Array }[];
  order: string[];
  error: ProtocolError | undefined;
}

/** Feeds `chunks` to a new reader and collects everything it reports (data copied out). */
export function readChunks(codec: FrameCodec, role: Role, chunks: Uint8Array[], options: Partial<FrameReaderOptions> = {}): ReadEvents {
  const events: ReadEvents = { messages: [], controls: [], order: [], error: undefined };
  const reader = new FrameReader({ role, codec, ...options }, {
    onMessage(opcode, data, compressed) {
      events.messages.push({ opcode, data: data.slice(), compressed });
      events.order.push(`message:${opcode}`);
    },
    onControl(opcode, payload) {
      events.controls.push({ opcode, payload: payload.slice() });
      events.order.push(`control:${opcode}`);
    },
    onError(error) {
      events.error = error;
      events.order.push(`error:${error.code}`);
    },
  });
  for (const chunk of chunks) reader.push(chunk.slice());
  return events;
}

/** Splits `bytes` into chunks at the given cut points. */
export function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    if (p > at) chunks.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  if (at < bytes.length) chunks.push(bytes.subarray(at));
  return chunks;
}

/** The same bytes whole and one byte per chunk. */
export function wholeAndByteByByte(bytes: Uint8Array): [string, Uint8Array[]][] {
  const single: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
  return [['whole', [bytes]], ['byte by byte', single]];
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
