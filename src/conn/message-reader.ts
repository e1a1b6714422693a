import { WebSocketError } from '../errors';
import type { MessageSink } from '../frame/assembler';
import type { MessageType } from '../frame/message';

const decoder = new TextDecoder();

/**
 * One message read as a stream of chunks as they arrive (gorilla's NextReader).
 * Consume it with `for await (const chunk of reader)` or `read()`; a large message never
 * has to be whole in memory. Unread chunks count against the connection's read buffer, so a
 * reader that stops consuming pauses the socket — until it is discarded: leaving a
 * `for await` over it early, or calling `conn.read()`/`nextReader()`/`next()` again, drops
 * the rest of the message and frees its bytes (gorilla's rule); a discarded reader's
 * `read()` then gives null, the end.
 */
export class MessageReader implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private ended = false;
  private discarded = false;
  private failure: Error | null = null;
  private waiter: { resolve: (chunk: Uint8Array | null) => void; reject: (err: Error) => void } | null = null;

  /** @internal */
  constructor(
    /** 'text' or 'binary'. */
    readonly type: MessageType,
    /** Told when chunks leave the reader (read or dropped): their bytes and how many. */
    private readonly onConsumed: (bytes: number, chunks: number) => void,
  ) {}

  /** The next chunk, or null at the end of the message. Rejects if the connection failed. */
  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.bufferedBytes -= chunk.length;
      this.onConsumed(chunk.length, 1);
      return Promise.resolve(chunk);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(null);
    if (this.waiter) return Promise.reject(new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'MessageReader.read() is already pending'));
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  /** Iterates the chunks; leaving the loop early (break, return, throw) discards the rest. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let complete = false;
    try {
      for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk;
      complete = true;
    } finally {
      if (!complete) this.discard();
    }
  }

  /** Reads the rest of the message into one buffer. */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of this) { parts.push(chunk); total += chunk.length; }
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  }

  /** Reads the rest of the message as text. */
  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }

  /** Bytes received but not yet read. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** True once the rest of the message was dropped (see the class comment). */
  get isDiscarded(): boolean {
    return this.discarded;
  }

  /**
   * Drops the unread rest of the message and frees its bytes from the connection's read
   * buffer; chunks still to arrive are dropped too. A pending read() gets null. Idempotent.
   */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    const bytes = this.bufferedBytes;
    const chunks = this.chunks.length;
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    if (chunks > 0) this.onConsumed(bytes, chunks);
    if (!this.failure) this.ended = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve(null);
  }

  /** @internal The push side, given to the frame reader. */
  sink(): MessageSink {
    return {
      write: (data) => {
        if (this.discarded) return;
        if (this.waiter) {
          const { resolve } = this.waiter;
          this.waiter = null;
          this.onConsumed(data.length, 1);
          resolve(data);
          return;
        }
        this.chunks.push(data);
        this.bufferedBytes += data.length;
      },
      end: () => {
        if (this.discarded) return;
        this.ended = true;
        if (this.waiter && this.chunks.length === 0) {
          const { resolve } = this.waiter;
          this.waiter = null;
          resolve(null);
        }
      },
      abort: (error) => this.abort(error),
    };
  }

  /** @internal Fails the message: pending and later reads reject. */
  abort(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }
}
