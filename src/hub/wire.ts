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
 *
 * A beacon (bit 2) carries no payload: a publisher's last stamp on a topic, sent when a node
 * that resubscribed asks (see RedisBroker), so that it learns of losses after the last
 * publication that reached it. `[flags][0xff][origin:gen:seq]`, under 257 bytes in all: a
 * receiver that predates beacons reads an origin length longer than the message and skips it.
 */
export interface WireMessage {
  origin: string;
  binary: boolean;
  data: Uint8Array;
  /** The publisher's sequence stamp for this topic, absent from older publishers. */
  stamp?: SequenceStamp;
  /** A beacon: `stamp` is the publisher's last one; nothing to deliver. */
  beacon?: true;
}

/** Per publisher and topic: `seq` counts 1, 2, 3… within one `gen` (a new counter, a new gen). */
export interface SequenceStamp {
  gen: number;
  seq: number;
}

const FLAG_BINARY = 1;
const FLAG_STAMPED = 2;
const FLAG_BEACON = 4;
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

/** A beacon's bytes (see above), or null when the origin is too long for one. */
export function encodeBeacon(origin: string, stamp: SequenceStamp): Buffer | null {
  const field = encoder.encode(`${origin}:${stamp.gen}:${stamp.seq}`);
  if (field.length > MAX_ORIGIN_BYTES - 1) return null;
  const wire = Buffer.allocUnsafe(2 + field.length);
  wire[0] = FLAG_BEACON | FLAG_STAMPED;
  wire[1] = 0xff;
  wire.set(field, 2);
  return wire;
}

/** A publication (or beacon) read from the wire, or null when the bytes are not one of ours. */
export function decodeWire(raw: Uint8Array): WireMessage | null {
  if (raw.length >= 2 && (raw[0] & FLAG_BEACON) !== 0) {
    const beacon = stamped(decoder.decode(raw.subarray(2)));
    return beacon && { ...beacon, binary: false, data: raw.subarray(0, 0), beacon: true };
  }
  if (raw.length < 2 || raw.length < 2 + raw[1]) return null;
  const field = decoder.decode(raw.subarray(2, 2 + raw[1]));
  const data = raw.subarray(2 + raw[1]);
  const binary = (raw[0] & FLAG_BINARY) !== 0;
  if ((raw[0] & FLAG_STAMPED) === 0) return { origin: field, binary, data };
  const origin = stamped(field);
  return origin && { ...origin, binary, data };
}

/** `<origin>:<gen>:<seq>` split; the origin may itself hold ':' (the stamp is the last two fields). */
function stamped(field: string): { origin: string; stamp: SequenceStamp } | null {
  const seqAt = field.lastIndexOf(':');
  const genAt = field.lastIndexOf(':', seqAt - 1);
  const gen = Number(field.slice(genAt + 1, seqAt));
  const seq = Number(field.slice(seqAt + 1));
  if (genAt < 0 || !Number.isSafeInteger(gen) || !Number.isSafeInteger(seq) || seq < 1) return null;
  return { origin: field.slice(0, genAt), stamp: { gen, seq } };
}

/** A sync request: a node that resubscribed names its topics (JSON). */
export interface SyncRequest {
  from: string;
  topics: string[];
}

/** A sync request read from the sync channel, or null when malformed. */
export function decodeSyncRequest(raw: Uint8Array): SyncRequest | null {
  try {
    const parsed = JSON.parse(decoder.decode(raw)) as Partial<SyncRequest>;
    if (typeof parsed.from !== 'string' || !Array.isArray(parsed.topics)) return null;
    return { from: parsed.from, topics: parsed.topics.filter((t): t is string => typeof t === 'string') };
  } catch {
    return null;
  }
}
