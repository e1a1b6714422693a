import type { FrameCodec } from '../codec/codec';
import { UTF8_ACCEPT } from '../codec/constants';
import { ProtocolError } from '../errors';
import type { PerMessageDeflate } from '../extensions/permessage-deflate';
import { Message, messageType } from '../frame/message';
import { HOLDER_INFLATE, type FlowControl } from './inbox';

/**
 * Keeps received messages in order while compressed ones are inflated (asynchronously, in
 * zlib's threadpool). Uncompressed messages go straight through when nothing is pending,
 * and queue behind an inflation otherwise. Inflated text is validated as UTF-8 here (the
 * frame scan cannot see it). Memory stays bounded both ways: compressed bytes waiting here
 * pause the socket past the read buffer size, and nothing is inflated while the inbox is
 * over it.
 */
export class InflatePipeline {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private pendingBytes = 0;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly deflate: PerMessageDeflate,
    private readonly codec: FrameCodec,
    private readonly limits: { maxMessageBytes: number; maxPendingBytes: number },
    private readonly deliver: (message: Message) => void,
    private readonly whenRoom: () => Promise<void>,
    private readonly fail: (error: ProtocolError) => void,
    private readonly flow: FlowControl,
  ) {}

  /** A message from the frame reader, compressed (RSV1) or not. */
  push(opcode: number, data: Uint8Array, compressed: boolean): void {
    if (this.stopped) return;
    const type = messageType(opcode);
    if (!compressed && this.pending === 0) {
      this.deliver(new Message(type, data));
      return;
    }
    this.pending++;
    this.pendingBytes += data.length;
    if (!this.paused && this.pendingBytes > this.limits.maxPendingBytes) {
      this.paused = true;
      this.flow.pauseReading(HOLDER_INFLATE);
    }
    this.tail = this.tail.then(async () => {
      // Inflate only when the application has room: a small compressed message can be huge.
      await this.whenRoom();
      if (this.stopped) return;
      let bytes: Uint8Array;
      try {
        bytes = compressed ? await this.deflate.decompress(data, this.limits.maxMessageBytes) : data;
      } catch (err) {
        this.stop(err instanceof ProtocolError ? err : new ProtocolError('WS_ERR_INFLATE_FAILED', 1007, String(err)));
        return;
      }
      if (this.stopped) return;
      if (type === 'text' && compressed && this.codec.utf8(bytes, 0, bytes.length, UTF8_ACCEPT) !== UTF8_ACCEPT) {
        this.stop(new ProtocolError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 in a text message'));
        return;
      }
      this.deliver(new Message(type, bytes));
    }).finally(() => {
      this.pending--;
      this.pendingBytes -= data.length;
      if (this.paused && this.pendingBytes <= this.limits.maxPendingBytes / 2) {
        this.paused = false;
        this.flow.resumeReading(HOLDER_INFLATE);
      }
    });
  }

  /** Drops everything pending (the connection is closing). */
  close(): void {
    this.stopped = true;
  }

  private stop(error: ProtocolError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.fail(error);
  }
}
