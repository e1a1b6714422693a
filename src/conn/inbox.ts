import { CloseError } from '../errors';
import type { MessageSink } from '../frame/assembler';
import { Message, type MessageType } from '../frame/message';
import { CloseCode } from '../protocol/close-code';
import { MessageReader } from './message-reader';

/**
 * Pauses and resumes the socket's reading on behalf of one holder (a bit): reading resumes
 * only when no holder wants it paused, so one holder's resume cannot undo another's pause.
 */
export interface FlowControl {
  pauseReading(holder: number): void;
  resumeReading(holder: number): void;
}

/** The holder bits of FlowControl. */
export const HOLDER_INBOX = 1;
export const HOLDER_INFLATE = 2;

type Waiter =
  | { kind: 'message'; resolve: (m: Message) => void; reject: (e: Error) => void }
  | { kind: 'next'; resolve: (r: IteratorResult<Message>) => void; reject: (e: Error) => void }
  | { kind: 'reader'; resolve: (r: MessageReader) => void; reject: (e: Error) => void };

/** The end of iteration: the close was clean and ordinary (1000, 1001, 1005). */
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** `for await` ends quietly on an ordinary clean close, and throws on any other. */
function endsIteration(error: Error): boolean {
  return error instanceof CloseError && error.wasClean && (error.closeCode === CloseCode.Normal
    || error.closeCode === CloseCode.GoingAway || error.closeCode === CloseCode.NoStatus);
}

/**
 * Received messages on their way to the application, in arrival order: complete messages
 * wait in a queue, callers of read()/nextReader() wait in another, and each arrival meets the
 * first waiter. Bytes held here are bounded: past `maxBytes` the socket is paused, and it
 * resumes when the application has read below half of it.
 */
export class Inbox implements AsyncIterator<Message> {
  private readonly queue: Message[] = [];
  // Callers waiting for a message, first in `waiter` (there is rarely more than one).
  private waiter: Waiter | null = null;
  private moreWaiters: Waiter[] | null = null;
  private heldBytes = 0;
  private paused = false;
  private failure: Error | null = null;
  private streaming: MessageReader | null = null;
  private roomWaiters: (() => void)[] | null = null;

  constructor(private readonly maxBytes: number, private readonly flow: FlowControl) {}

  /** The next complete message. */
  read(): Promise<Message> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.release(message.data.length);
      return Promise.resolve(message);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.wait({ kind: 'message', resolve, reject }));
  }

  /**
   * The next message as an iterator result, for `for await`: done once the connection has
   * closed cleanly and everything before the close was read. Cheaper than an async
   * generator over read(): one promise per message and no generator objects.
   */
  next(): Promise<IteratorResult<Message>> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.release(message.data.length);
      return Promise.resolve({ done: false, value: message });
    }
    if (this.failure) return endsIteration(this.failure) ? Promise.resolve(DONE) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.wait({ kind: 'next', resolve, reject }));
  }

  /** The next message as a stream of chunks. */
  nextReader(): Promise<MessageReader> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.release(message.data.length);
      return Promise.resolve(this.readerOf(message));
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.wait({ kind: 'reader', resolve, reject }));
  }

  /**
   * A data message begins. When the first waiter wants a stream and nothing is queued before
   * this message, the message streams into a MessageReader as it arrives.
   */
  startMessage(type: MessageType): MessageSink | undefined {
    const first = this.waiter;
    if (first?.kind !== 'reader' || this.queue.length > 0 || this.streaming) return undefined;
    this.nextWaiter();
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
    const waiter = this.nextWaiter();
    if (waiter === null) {
      this.queue.push(message);
      this.hold(message.data.length);
    } else if (waiter.kind === 'message') {
      waiter.resolve(message);
    } else if (waiter.kind === 'next') {
      waiter.resolve({ done: false, value: message });
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
    for (let waiter = this.nextWaiter(); waiter !== null; waiter = this.nextWaiter()) {
      if (waiter.kind === 'next' && endsIteration(error)) waiter.resolve(DONE);
      else waiter.reject(error);
    }
    this.wakeRoomWaiters();
  }

  /**
   * Resolves when the bytes held are within `maxBytes` (at once if they are). Producers that
   * can hold back — the inflater — wait here, so inflated bytes stay bounded too.
   */
  whenRoom(): Promise<void> {
    if (this.heldBytes <= this.maxBytes || this.failure) return Promise.resolve();
    return new Promise((resolve) => (this.roomWaiters ??= []).push(resolve));
  }

  /** Messages received and not yet read. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  private wait(waiter: Waiter): void {
    if (this.waiter === null) this.waiter = waiter;
    else (this.moreWaiters ??= []).push(waiter);
  }

  /** Takes the first waiter off the line. */
  private nextWaiter(): Waiter | null {
    const first = this.waiter;
    this.waiter = this.moreWaiters?.shift() ?? null;
    return first;
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
      this.flow.pauseReading(HOLDER_INBOX);
    }
  }

  private release(bytes: number): void {
    this.heldBytes -= bytes;
    if (this.heldBytes <= this.maxBytes) this.wakeRoomWaiters();
    if (this.paused && this.heldBytes <= this.maxBytes / 2) {
      this.paused = false;
      this.flow.resumeReading(HOLDER_INBOX);
    }
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    if (waiters === null) return;
    this.roomWaiters = null;
    for (const wake of waiters) wake();
  }
}
