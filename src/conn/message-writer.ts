import { OP_CONTINUATION } from '../codec/constants';
import { AlreadyClosedError } from '../errors';

/** What a MessageWriter needs from its connection. */
export interface FrameSink {
  /** Encodes and queues one data frame; resolves when the socket can take more. */
  writeFrame(opcode: number, payload: Uint8Array, fin: boolean): Promise<void>;
  /** The writer is done: the next queued send may go. */
  release(): void;
  /** False once the connection is closing. */
  readonly isOpen: boolean;
}

/**
 * Writes one message as a sequence of frames (gorilla's NextWriter): each write() is a
 * fragment, close() sends the final one. While it is open, other sends on the connection
 * wait their turn; control frames (pings, pongs, close) may still go out between fragments.
 */
export class MessageWriter {
  private started = false;
  private finished = false;

  /** @internal */
  constructor(private readonly opcode: number, private readonly sink: FrameSink) {}

  /** Sends `chunk` as the next fragment. Awaiting it is backpressure. */
  write(chunk: Uint8Array | string): Promise<void> {
    this.checkUsable();
    const payload = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    const opcode = this.started ? OP_CONTINUATION : this.opcode;
    this.started = true;
    return this.sink.writeFrame(opcode, payload, false);
  }

  /** Sends the final fragment (empty) and lets other sends proceed. */
  async close(): Promise<void> {
    if (this.finished) return;
    this.checkUsable();
    this.finished = true;
    try {
      await this.sink.writeFrame(this.started ? OP_CONTINUATION : this.opcode, new Uint8Array(0), true);
    } finally {
      this.sink.release();
    }
  }

  private checkUsable(): void {
    if (this.finished) throw new AlreadyClosedError('this MessageWriter is closed');
    if (!this.sink.isOpen) {
      this.finished = true;
      this.sink.release();
      throw new AlreadyClosedError();
    }
  }
}
