import type { FrameCodec } from '../codec/codec';
import { CloseError } from '../errors';
import type { FrameReader, Role } from '../frame/reader';
import { FrameWriter } from '../frame/writer';

// What a connection's core shares with every other, or stands in for a part not made yet:
// an idle connection (thousands sit in a chat server) should cost little more than its socket.

/** The read side as the core uses it: a FrameReader, or HALTED before any frame came. */
export type ReadSide = Pick<FrameReader, 'push' | 'halt'>;

/** A reader halted before it was needed: nothing is read any more. */
export const HALTED: ReadSide = { push() {}, halt() {} };

/** Distinct (codec, role, maxFrameBytes) writers kept at most; past it, each connection makes its own. */
const MAX_SHARED_WRITERS = 64;
const writers = new Map<FrameCodec, Map<string, FrameWriter>>();

/**
 * The FrameWriter for connections with this codec, role and maxFrameBytes. A writer holds no
 * state between calls (its header scratch object is filled and used within one call, and a
 * client's mask key is drawn per frame), so connections alike share one.
 */
export function sharedWriter(codec: FrameCodec, role: Role, maxFrameBytes: number): FrameWriter {
  // A server's connections all ask for the same one: found without building the key.
  if (last !== null && last.codec === codec && last.role === role && last.maxFrameBytes === maxFrameBytes) return last.writer;
  const writer = lookUp(codec, role, maxFrameBytes);
  last = { codec, role, maxFrameBytes, writer };
  return writer;
}

let last: { codec: FrameCodec; role: Role; maxFrameBytes: number; writer: FrameWriter } | null = null;

function lookUp(codec: FrameCodec, role: Role, maxFrameBytes: number): FrameWriter {
  let byCodec = writers.get(codec);
  if (byCodec === undefined) writers.set(codec, (byCodec = new Map()));
  const key = `${role} ${maxFrameBytes}`;
  let writer = byCodec.get(key);
  if (writer === undefined) {
    writer = new FrameWriter({ role, codec, maxFrameBytes });
    if (byCodec.size < MAX_SHARED_WRITERS) byCodec.set(key, writer);
  }
  return writer;
}

/**
 * The CloseError of a connection that closed in a socket event ('close', 'error'): its
 * stack would hold only the runtime's event plumbing, and capturing it was about 2% of a
 * handshake's server CPU. Everything else (type, code, reason, wasClean, cause) is there.
 */
export function closeErrorWithoutStack(code: number, reason: string, wasClean: boolean, cause: Error | undefined): CloseError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CloseError(code, reason, wasClean, cause ? { cause } : undefined);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
