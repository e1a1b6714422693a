import { Buffer } from 'node:buffer';

/**
 * A hub publication as RedisBroker carries it (both ends are wasmws hubs):
 *
 *   [flags: 1 byte][origin length: 1 byte][origin: UTF-8][payload]
 *   flags bit 0: binary; bit 1: the origin field is `<node>:<generation>:<sequence>`
 *
 * Bit 1 and the stamp in the origin field are backwards-safe within the package: a receiver
 * that predates them reads bit 0 only and sees an origin that is not its own, so it delivers
 * the payload as before; a message without bit 1 (an older publisher) is read as unstamped.
 */
export interface WireMessage {
  origin: string;
  binary: boolean;
  data: Uint8Array;
  /** The publisher's sequence stamp for this topic, absent from older publishers. */
  stamp?: SequenceStamp;
}

/** Per publisher and topic: `seq` counts 1, 2, 3… within one `gen` (a new counter, a new gen). */
export interface SequenceStamp {
  gen: number;
  seq: number;
}

const FLAG_BINARY = 1;
const FLAG_STAMPED = 2;
const MAX_ORIGIN_BYTES = 255;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The wire bytes of a publication. Throws when the origin does not fit in 255 bytes. */
export function encodeWire(origin: string, binary: boolean, data: Uint8Array, stamp: SequenceStamp): Buffer {
  const field = encoder.encode(`${origin}:${stamp.gen}:${stamp.seq}`);
  if (field.length > MAX_ORIGIN_BYTES) throw new RangeError(`origin too long: ${field.length} bytes with its stamp, ${MAX_ORIGIN_BYTES} at most`);
  // node-redis takes strings or Buffers only (a plain Uint8Array throws inside it).
  const wire = Buffer.allocUnsafe(2 + field.length + data.length);
  wire[0] = (binary ? FLAG_BINARY : 0) | FLAG_STAMPED;
  wire[1] = field.length;
  wire.set(field, 2);
  wire.set(data, 2 + field.length);
  return wire;
}

/** A publication read from the wire, or null when the bytes are not one of ours. */
export function decodeWire(raw: Uint8Array): WireMessage | null {
  if (raw.length < 2 || raw.length < 2 + raw[1]) return null;
  const field = decoder.decode(raw.subarray(2, 2 + raw[1]));
  const message: WireMessage = { origin: field, binary: (raw[0] & FLAG_BINARY) !== 0, data: raw.subarray(2 + raw[1]) };
  if ((raw[0] & FLAG_STAMPED) === 0) return message;
  // The node id may itself hold ':' — the stamp is the last two fields.
  const seqAt = field.lastIndexOf(':');
  const genAt = field.lastIndexOf(':', seqAt - 1);
  const gen = Number(field.slice(genAt + 1, seqAt));
  const seq = Number(field.slice(seqAt + 1));
  if (genAt < 0 || !Number.isSafeInteger(gen) || !Number.isSafeInteger(seq) || seq < 1) return null;
  message.origin = field.slice(0, genAt);
  message.stamp = { gen, seq };
  return message;
}
