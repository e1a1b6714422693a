import { AlreadyClosedError, WebSocketError } from '../errors';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import { outgoingMessage } from '../frame/outgoing';
import { PreparedMessage } from '../frame/prepared';
import type { FrameWriter } from '../frame/writer';
import type { BufferFullPolicy } from '../options';
import { CloseCode } from '../protocol/close-code';
import { MessageWriter } from './message-writer';
import type { Outbox } from './outbox';

/** What send() takes. */
export type Sendable = string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage;

/** Options of send(). */
export interface SendOptions {
  /** Send as binary (default for bytes) or text (default for strings). */
  binary?: boolean;
  /** Compress this message when permessage-deflate was negotiated (default true). */
  compress?: boolean;
}

/** What the sender needs from its connection. */
export interface SenderHost {
  readonly isOpen: boolean;
  fail(code: number, reason: string, error: Error): void;
}

/** A message to send as opcode + bytes (see outgoingMessage). */
function outgoing(data: Sendable, options: SendOptions): { opcode: number; payload: Uint8Array } {
  if (data instanceof PreparedMessage) return { opcode: data.opcode, payload: data.payload };
  return outgoingMessage(data, options.binary);
}

/**
 * The data side of a connection's writing: messages become frames in the outbox, in the
 * order send() and nextWriter() were called, even when some are compressed asynchronously
 * or a streaming writer holds the line. Control frames do not come through here: they may
 * overtake anything.
 */
export class Sender {
  private writerActive = false;
  private readonly waiting: (() => void)[] = [];
  /** The last send still compressing: later sends queue behind it. */
  private compressing: Promise<void> | null = null;

  constructor(
    private readonly writer: FrameWriter,
    private readonly outbox: Outbox,
    private readonly deflate: PerMessageDeflate | undefined,
    private readonly limits: { maxFrameBytes: number; maxBufferedBytes: number; bufferFullPolicy: BufferFullPolicy },
    private readonly host: SenderHost,
  ) {}

  /** Sends a message, after any streaming writer that holds the line. */
  send(data: Sendable, options: SendOptions): Promise<void> {
    const go = () => this.sendNow(data, options);
    if (this.writerActive || this.waiting.length > 0) {
      return new Promise((resolve, reject) => this.waiting.push(() => go().then(resolve, reject)));
    }
    return go();
  }

  /** A writer for one fragmented message; other sends wait until it is closed. */
  nextWriter(opcode: number): Promise<MessageWriter> {
    const host = this.host;
    const make = () => {
      this.writerActive = true;
      return new MessageWriter(opcode, {
        writeFrame: (frameOpcode, payload, fin) => {
          if (!host.isOpen) return Promise.reject(new AlreadyClosedError());
          const frames: Uint8Array[] = [];
          this.writer.frame(frameOpcode, payload, fin, false, frames);
          this.outbox.enqueue(frames);
          return this.outbox.whenWritable();
        },
        release: () => this.release(),
        get isOpen() { return host.isOpen; },
      });
    };
    if (this.writerActive || this.waiting.length > 0) {
      return new Promise((resolve) => this.waiting.push(() => resolve(make())));
    }
    if (this.compressing) {
      // Take the line now, so that a send() made while the earlier compressed sends finish
      // waits for this writer instead of slipping between its fragments.
      this.writerActive = true;
      return this.compressing.then(() => {
        if (!host.isOpen) {
          this.release();
          throw new AlreadyClosedError();
        }
        return make();
      });
    }
    return Promise.resolve(make());
  }

  /** The connection is closing: everything waiting runs now and fails. */
  abandon(): void {
    for (const run of this.waiting.splice(0)) run();
  }

  private sendNow(data: Sendable, options: SendOptions): Promise<void> {
    if (!this.host.isOpen) return Promise.reject(new AlreadyClosedError());
    const deflate = this.deflate;
    if (deflate && deflate.canCompress && options.compress !== false) {
      const { opcode, payload } = outgoing(data, options);
      if (payload.length >= deflate.threshold) {
        const compressed = data instanceof PreparedMessage && deflate.shareKey !== undefined
          ? data.compressedPayload(deflate.shareKey, () => deflate.compress(payload))
          : deflate.compress(payload);
        return this.afterCompressing(async () => {
          const frames: Uint8Array[] = [];
          this.writer.message(opcode, await compressed, frames, true);
          return frames;
        });
      }
    }
    if (this.compressing) return this.afterCompressing(async () => this.encode(data, options));
    return this.enqueue(this.encode(data, options));
  }

  /** Runs `make` after every earlier send that is still compressing, then queues its frames. */
  private afterCompressing(make: () => Promise<Uint8Array[]>): Promise<void> {
    const job = (this.compressing ?? Promise.resolve()).then(async () => {
      const frames = await make();
      if (!this.host.isOpen) throw new AlreadyClosedError();
      return frames;
    });
    const tail: Promise<void> = job.then(() => {}, () => {}).then(() => {
      if (this.compressing === tail) this.compressing = null;
    });
    this.compressing = tail;
    return job.then((frames) => this.enqueue(frames));
  }

  /** The frames of an uncompressed message. */
  private encode(data: Sendable, options: SendOptions): Uint8Array[] {
    const frames: Uint8Array[] = [];
    if (data instanceof PreparedMessage) {
      frames.push(...data.frames(this.writer, `f${this.limits.maxFrameBytes}`));
    } else if (typeof data === 'string' && !options.binary) {
      this.writer.text(data, frames);
    } else {
      const { opcode, payload } = outgoing(data, options);
      this.writer.message(opcode, payload, frames);
    }
    return frames;
  }

  /** Queues frames unless that would pass maxBufferedBytes (then bufferFullPolicy applies). */
  private enqueue(frames: Uint8Array[]): Promise<void> {
    let size = 0;
    for (const frame of frames) size += frame.length;
    if (this.outbox.bufferedAmount + size > this.limits.maxBufferedBytes) {
      const error = new WebSocketError('WS_ERR_BUFFER_FULL', `more than ${this.limits.maxBufferedBytes} bytes waiting to be written`);
      if (this.limits.bufferFullPolicy === 'close') this.host.fail(CloseCode.PolicyViolation, 'send buffer full', error);
      return Promise.reject(error);
    }
    this.outbox.enqueue(frames);
    return this.outbox.whenWritable();
  }

  private release(): void {
    this.writerActive = false;
    while (!this.writerActive && this.waiting.length > 0) this.waiting.shift()!();
  }
}
