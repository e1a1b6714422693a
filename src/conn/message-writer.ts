import { OP_CONTINUATION } from '../codec/constants';
import { AlreadyClosedError } from '../errors';
import type { WriteCallback } from './completions';

/** What a MessageWriter needs from its connection. */
export interface FrameSink {
  /** Encodes and queues one data frame (`fin`: the last); resolves when the socket can take more; `done` as send()'s. */
  writeFrame(opcode: number, payload: Uint8Array, fin: boolean, done?: WriteCallback): Promise<void>;
  /** False once the connection is gone (nothing more can be written). */
  readonly isOpen: boolean;
  /** A write refused before it was queued: rejects, and tells `done` the error in its turn. */
  refuse(error: Error, done?: WriteCallback): Promise<void>;
}

/**
 * Writes one message as a sequence of frames (gorilla's NextWriter): each write() is a
 * fragment, close() sends the final one. The message holds its place in the connection's
 * line from nextWriter() on: sends made while it is open go out after its final frame, and
 * so does the close frame of a conn.close() called meanwhile (the writer stays usable until
 * it is closed; a writer never closed holds the close back until closeTimeoutMs, when the
 * TCP connection is dropped). When the connection fails instead (a protocol error, a full
 * buffer with bufferFullPolicy 'close'), the close frame goes out after the fragments
 * written so far and later writes reject. Control frames (pings, pongs) may go out between
 * fragments (RFC 6455 §5.4).
 */
export class MessageWriter {
  private started = false;
  private finished = false;
  private readonly encoder = new TextEncoder();

  /** @internal */
  constructor(private readonly opcode: number, private readonly sink: FrameSink) {}

  /**
   * Sends `chunk` as the next fragment. Awaiting it is backpressure. Rejects once closed.
   * `onWritten`, when given, is called once the fragment is written, or with the error (as send()'s).
   */
  write(chunk: Uint8Array | string, onWritten?: (error?: Error) => void): Promise<void> {
    const unusable = this.unusable();
    if (unusable) return this.refuse(unusable, onWritten); // as send(): unawaited, it never crashes the process
    const payload = typeof chunk === 'string' ? this.encoder.encode(chunk) : chunk;
    const opcode = this.started ? OP_CONTINUATION : this.opcode;
    this.started = true;
    return this.sink.writeFrame(opcode, payload, false, onWritten);
  }

  /**
   * Sends the final fragment (empty) and lets the messages queued behind this one go. Rejects
   * (marked handled) once the connection is gone. `onWritten` as write()'s.
   */
  close(onWritten?: (error?: Error) => void): Promise<void> {
    if (this.finished) {
      return onWritten ? this.sink.refuse(new AlreadyClosedError('this MessageWriter is closed'), onWritten).catch(() => {}) : Promise.resolve();
    }
    const unusable = this.unusable();
    if (unusable) return this.refuse(unusable, onWritten);
    this.finished = true;
    return this.sink.writeFrame(this.started ? OP_CONTINUATION : this.opcode, new Uint8Array(0), true, onWritten);
  }

  private refuse(error: Error, onWritten: ((error?: Error) => void) | undefined): Promise<void> {
    return this.sink.refuse(error, onWritten);
  }

  private unusable(): Error | undefined {
    if (this.finished) return new AlreadyClosedError('this MessageWriter is closed');
    if (!this.sink.isOpen) {
      this.finished = true;
      return new AlreadyClosedError();
    }
    return undefined;
  }
}
