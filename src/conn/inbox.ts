import type { MessageSink } from '../frame/assembler';
import { Message, type MessageType } from '../frame/message';
import { MessageReader } from './message-reader';

/** Pauses and resumes the socket's reading. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

type Waiter =
  | { kind: 'message'; resolve: (m: Message) => void; reject: (e: Error) => void }
  | { kind: 'reader'; resolve: (r: MessageReader) => void; reject: (e: Error) => void };

/**
 * Received messages on their way to the application, in arrival order: complete messages
 * wait in a queue, callers of read()/nextReader() wait in another, and each arrival meets the
 * first waiter. Bytes held here are bounded: past `maxBytes` the socket is paused, and it
 * resumes when the application has read below half of it.
 */
export class Inbox {
  private readonly queue: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private heldBytes = 0;
  private paused = false;
  private failure: Error | null = null;
  private streaming: MessageReader | null = null;
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly maxBytes: number, private readonly flow: FlowControl) {}

  /** The next complete message. */
  read(): Promise<Message> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.release(message.data.length);
      return Promise.resolve(message);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ kind: 'message', resolve, reject }));
  }

  /** The next message as a stream of chunks. */
  nextReader(): Promise<MessageReader> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.release(message.data.length);
      return Promise.resolve(this.readerOf(message));
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ kind: 'reader', resolve, reject }));
  }

  /**
   * A data message begins. When the first waiter wants a stream and nothing is queued before
   * this message, the message streams into a MessageReader as it arrives.
   */
  startMessage(type: MessageType): MessageSink | undefined {
    const first = this.waiters[0];
    if (first?.kind !== 'reader' || this.queue.length > 0 || this.streaming) return undefined;
    this.waiters.shift();
    const reader = new MessageReader(type, (bytes) => this.release(bytes));
    this.streaming = reader;
    const sink = reader.sink();
    first.resolve(reader);
    return {
      write: (data) => { this.hold(data.length); sink.write(data); },
      end: () => { this.streaming = null; sink.end(); },
      abort: (error) => { this.streaming = null; sink.abort(error); },
    };
  }

  /** A complete message arrived. */
  deliver(message: Message): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.queue.push(message);
      this.hold(message.data.length);
    } else if (waiter.kind === 'message') {
      waiter.resolve(message);
    } else {
      waiter.resolve(this.readerOf(message));
    }
  }

  /** No more messages: every waiter, and every later call, gets `error`. Queued messages stay readable. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.streaming?.abort(error);
    this.streaming = null;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * Resolves when the bytes held are within `maxBytes` (at once if they are). Producers that
   * can hold back — the inflater — wait here, so inflated bytes stay bounded too.
   */
  whenRoom(): Promise<void> {
    if (this.heldBytes <= this.maxBytes || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Messages received and not yet read. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  private readerOf(message: Message): MessageReader {
    const reader = new MessageReader(message.type, () => {});
    const sink = reader.sink();
    if (message.data.length > 0) sink.write(message.data);
    sink.end();
    return reader;
  }

  private hold(bytes: number): void {
    this.heldBytes += bytes;
    if (!this.paused && this.heldBytes > this.maxBytes) {
      this.paused = true;
      this.flow.pause();
    }
  }

  private release(bytes: number): void {
    this.heldBytes -= bytes;
    if (this.heldBytes <= this.maxBytes) for (const wake of this.roomWaiters.splice(0)) wake();
    if (this.paused && this.heldBytes <= this.maxBytes / 2) {
      this.paused = false;
      this.flow.resume();
    }
  }
}
