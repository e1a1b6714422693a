import type { FrameCodec } from '../codec/codec';
import { UTF8_ACCEPT } from '../codec/constants';
import { CloseError, ProtocolError } from '../errors';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import { Message, messageType } from '../frame/message';
import type { Inbox, PendingMessage } from './inbox';

/**
 * Inflates compressed messages, one at a time in arrival order (now, on this thread, when
 * nothing is ahead and the message is small; else in zlib's threadpool), into the places
 * the inbox reserved for them when their frames arrived: order and read-buffer accounting
 * are the inbox's, so an uncompressed message received
 * later waits behind them there, and a close received later is reported after them.
 * Inflated text is validated as UTF-8 here (the frame scan cannot see it). Nothing is
 * inflated while the messages ready before it fill the read buffer.
 *
 * The pipeline outlives the socket: messages received before a close (or a bad frame)
 * are still inflated and delivered, and the zlib state is freed once they are done (see
 * whenIdle). Only an inflation failure stops it, dropping that message and what followed.
 */
export class InflatePipeline {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped = false;
  /** Told once every message pushed so far is done (the close echo, then freeing zlib). */
  private onIdle: (() => void)[] | null = null;

  constructor(
    private readonly deflate: PerMessageDeflate,
    private readonly codec: FrameCodec,
    private readonly maxMessageBytes: number,
    private readonly inbox: Inbox,
    private readonly fail: (error: ProtocolError) => void,
  ) {}

  /** A compressed (RSV1) message from the frame reader. RFC 7692 §6.2. */
  push(opcode: number, data: Uint8Array): void {
    if (this.stopped) return;
    const type = messageType(opcode);
    const slot = this.inbox.reserve(data.length);
    // Nothing ahead and room: inflate now when it can be done sync (permessage-deflate.ts).
    if (this.pending === 0 && this.inbox.hasRoom && this.inflateNow(slot, type, data)) return;
    this.pending++;
    this.tail = this.tail.then(() => this.inflate(slot, type, data))
      // Nothing in inflate() should throw; if it did, the chain must not stall or reject unheard.
      .catch((err: unknown) => this.stop(slot, new ProtocolError('WS_ERR_INFLATE_FAILED', 1011, `inflate failed: ${String(err)}`, { cause: err })))
      .finally(() => {
        if (--this.pending === 0 && this.onIdle) this.idle();
      });
  }

  /** Calls `done` once every message pushed so far is delivered or dropped (at once if none is pending). */
  whenIdle(done: () => void): void {
    (this.onIdle ??= []).push(done);
    if (this.pending === 0) this.idle();
  }

  private async inflate(slot: PendingMessage, type: 'text' | 'binary', data: Uint8Array): Promise<void> {
    if (this.stopped) return; // an earlier message failed; the inbox dropped this one with it
    // Inflate only when the application has room: a small compressed message can be huge.
    await this.inbox.whenRoom();
    let bytes: Uint8Array;
    try {
      // An empty payload is an empty message (a compressor sends 0x00, RFC 7692 §7.2.3.6):
      // given to zlib, it and the tail make a truncated stored block that eats the next
      // message's bytes as its content.
      bytes = data.length === 0 ? data : await this.deflate.decompress(data, this.maxMessageBytes);
    } catch (err) {
      return this.stop(slot, inflateError(err));
    }
    this.deliver(slot, type, bytes);
  }

  /** Inflates and fills `slot` now; false (nothing done) when it must go async. */
  private inflateNow(slot: PendingMessage, type: 'text' | 'binary', data: Uint8Array): boolean {
    let bytes: Uint8Array | undefined;
    try {
      bytes = data.length === 0 ? data : this.deflate.decompressNow(data, this.maxMessageBytes);
    } catch (err) {
      this.stop(slot, inflateError(err));
      return true;
    }
    if (bytes === undefined) return false;
    this.deliver(slot, type, bytes);
    return true;
  }

  private deliver(slot: PendingMessage, type: 'text' | 'binary', bytes: Uint8Array): void {
    if (type === 'text' && this.codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT) !== UTF8_ACCEPT) {
      return this.stop(slot, new ProtocolError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 in a text message'));
    }
    this.inbox.fill(slot, new Message(type, bytes));
  }

  private idle(): void {
    const waiting = this.onIdle!;
    this.onIdle = null;
    for (const done of waiting) done();
  }

  private stop(slot: PendingMessage, error: ProtocolError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.inbox.cancel(slot, new CloseError(error.closeCode, error.message, false, { cause: error }));
    this.fail(error);
  }
}

/** What zlib threw, as the 1007 the peer gets (a ProtocolError already says which code: 1009 past the size limit). */
function inflateError(err: unknown): ProtocolError {
  return err instanceof ProtocolError ? err : new ProtocolError('WS_ERR_INFLATE_FAILED', 1007, String(err), { cause: err });
}
