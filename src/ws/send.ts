// What ws's send() accepts, turned into what Conn.send() takes; and fin:false messages,
// which ws sends frame by frame, on the Conn's streaming writer.
import { Buffer } from 'node:buffer';
import type { Conn } from '../conn/connection';
import type { MessageWriter } from '../conn/message-writer';

/** ws's send options. `mask` is accepted and ignored: RFC 6455 §5.3 fixes it by role. */
export interface WsSendOptions {
  /** Send as binary (default for Buffers and ArrayBuffers) or text (default for strings). */
  binary?: boolean;
  /** Compress when permessage-deflate was agreed (default true). */
  compress?: boolean;
  /** False sends a piece of a message; the next send with fin true (the default) ends it. */
  fin?: boolean;
  /** Ignored: the role decides masking (RFC 6455 §5.3). */
  mask?: boolean;
}

/** Called once the data is written, or with the error. */
export type SendCallback = (err?: Error) => void;

const EMPTY = new Uint8Array(0);

/** ws's data conversion: numbers become strings; bytes are used as they are (no copy). */
export function toPayload(data: unknown): string | Uint8Array {
  if (data === undefined || data === null) return EMPTY;
  if (typeof data === 'string') return data;
  if (typeof data === 'number') return String(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as string);
}

/**
 * One message sent in pieces (`send(chunk, { fin: false })` … `send(last, { fin: true })`).
 * The Conn's writer holds the line meanwhile, so other sends wait, in order (RFC 6455 §5.4).
 * Each piece is queued at once, so its callback keeps its place among the others.
 */
export class FragmentSender {
  private readonly writer: MessageWriter;

  constructor(conn: Conn, binary: boolean) {
    this.writer = conn.openWriter(binary ? 'binary' : 'text');
  }

  /** Sends the next piece; `fin` ends the message. `done` is told once it is written, or with the error. */
  write(payload: string | Uint8Array, fin: boolean, done: ((err?: Error) => void) | undefined): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (!fin) {
      void this.writer.write(bytes, done);
    } else if (bytes.byteLength > 0) {
      void this.writer.write(bytes);
      void this.writer.close(done);
    } else {
      void this.writer.close(done);
    }
  }
}
