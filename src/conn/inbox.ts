import { CloseError, WebSocketError } from '../errors';
import type { MessageSink } from '../frame/assembler';
import { Message, type MessageType } from '../frame/message';
import { CloseCode } from '../protocol/close-code';
import { ENTRY_OVERHEAD_BYTES, PendingMessage, weightOf, type Entry } from './inbox-entry';
import { HOLDER_INBOX, type FlowControl } from './flow-control';
import { MessageReader } from './message-reader';

export { ENTRY_OVERHEAD_BYTES, PendingMessage } from './inbox-entry';
export { HOLDER_CALLBACKS, HOLDER_INBOX, type FlowControl } from './flow-control';

type Waiter =
  | { kind: 'message'; resolve: (m: Message) => void; reject: (e: Error) => void }
  | { kind: 'next'; resolve: (r: IteratorResult<Message>) => void; reject: (e: Error) => void }
  | { kind: 'reader'; resolve: (r: MessageReader) => void; reject: (e: Error) => void };

/**
 * Where an inbox in push mode (see Inbox.consume) hands its messages, in arrival order: a
 * callback handler instead of read()/for await. Neither method may throw.
 */
export interface InboxConsumer {
  /** The next message. */
  message(message: Message): void;
  /** Every message before the end was handed over; `error` is why it ended. Called once. */
  end(error: Error): void;
}

/** read()/next()/nextReader() on a connection whose messages go to a callback handler. */
function refusePull(): Promise<never> {
  return Promise.reject(new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'messages of this connection go to its callback handler; read(), for await and nextReader() are not available'));
}

/** A complete message's reader: its bytes were released when it was taken from the queue. */
function ignoreConsumed(): void {}

/** The end of iteration: the close was clean and ordinary (1000, 1001, 1005). */
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** `for await` ends quietly on an ordinary clean close, and throws on any other. */
function endsIteration(error: Error): boolean {
  return error instanceof CloseError && error.wasClean && (error.closeCode === CloseCode.Normal
    || error.closeCode === CloseCode.GoingAway || error.closeCode === CloseCode.NoStatus);
}

/**
 * Received messages on their way to the application, in arrival order.
 *
 *   queue:  [ready] [ready] [pending…] [ready] [pending…]  (then the close, once failed)
 *            └─ readyCount ─┘
 *
 * Entries are complete messages or PendingMessages (still inflating), queued the moment
 * their frames have arrived; the close or failure is, in effect, the last entry: waiters
 * are told only once everything queued before it was read. A caller of read()/next()/
 * nextReader() gets the head only when it is ready, so order is arrival order whatever
 * inflates slower. Bytes held here (pending ones at their compressed size, each entry with
 * ENTRY_OVERHEAD_BYTES more) are bounded:
 * past `maxBytes` the socket is paused, and it resumes when the application has read below
 * half of it.
 *
 * One message at a time is the application's: calling read(), next() or nextReader() again
 * discards what is left of the previous MessageReader (gorilla's rule), so a reader
 * abandoned mid-message never keeps the connection paused.
 */
export class Inbox implements AsyncIterator<Message> {
  private readonly queue: Entry[] = [];
  /** Entries at the head of the queue that are complete (the rest starts with a pending one). */
  private readyCount = 0;
  private readyBytes = 0;
  /** PendingMessages in the queue not yet filled. */
  private inflating = 0;
  // Callers waiting for a message, first in `waiter` (there is rarely more than one).
  private waiter: Waiter | null = null;
  private moreWaiters: Waiter[] | null = null;
  private heldBytes = 0;
  private paused = false;
  /** The application paused delivery (Conn.pauseReading): messages queue, nobody is handed one. */
  private deliveryPaused = false;
  private failure: Error | null = null;
  /** The reader a message is streaming into, while its frames arrive. */
  private streaming: MessageReader | null = null;
  /** The last reader handed out: discarded by the next read. */
  private current: MessageReader | null = null;
  private roomWaiters: (() => void)[] | null = null;
  /** Push mode: every message goes to it, not to read()/next()/nextReader(). */
  private consumer: InboxConsumer | null = null;
  /** The consumer is being called: a message arriving now is queued behind (never reentrant). */
  private pushing = false;
  private ended = false;

  constructor(private readonly maxBytes: number, private readonly flow: FlowControl) {}

  /** The next complete message. */
  read(): Promise<Message> {
    if (this.consumer !== null) return refusePull();
    if (this.current !== null) this.discardCurrent();
    const message = this.takeReady();
    if (message !== undefined) return Promise.resolve(message);
    if (this.failure && this.queue.length === 0) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.wait({ kind: 'message', resolve, reject }));
  }

  /**
   * The next message as an iterator result, for `for await`: done once the connection has
   * closed cleanly and everything before the close was read. Cheaper than an async
   * generator over read(): one promise per message and no generator objects.
   */
  next(): Promise<IteratorResult<Message>> {
    if (this.consumer !== null) return refusePull();
    if (this.current !== null) this.discardCurrent();
    const message = this.takeReady();
    if (message !== undefined) return Promise.resolve({ done: false, value: message });
    if (this.failure && this.queue.length === 0) {
      return endsIteration(this.failure) ? Promise.resolve(DONE) : Promise.reject(this.failure);
    }
    return new Promise((resolve, reject) => this.wait({ kind: 'next', resolve, reject }));
  }

  /** The next message as a stream of chunks. */
  nextReader(): Promise<MessageReader> {
    if (this.consumer !== null) return refusePull();
    if (this.current !== null) this.discardCurrent();
    const message = this.takeReady();
    if (message !== undefined) return Promise.resolve(this.readerOf(message));
    if (this.failure && this.queue.length === 0) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.wait({ kind: 'reader', resolve, reject }));
  }

  /**
   * A data message begins. When the first waiter wants a stream and nothing is queued before
   * this message (not even a message still inflating), it streams into a MessageReader as
   * it arrives.
   */
  startMessage(type: MessageType): MessageSink | undefined {
    const first = this.waiter;
    if (first?.kind !== 'reader' || this.queue.length > 0 || this.streaming || this.deliveryPaused) return undefined;
    this.nextWaiter();
    // Each chunk counts its overhead too: a message sent in 1-byte fragments is 131,072 views.
    const reader = new MessageReader(type, (bytes, chunks) => this.release(bytes + chunks * ENTRY_OVERHEAD_BYTES));
    this.streaming = reader;
    this.current = reader;
    const sink = reader.sink();
    first.resolve(reader);
    return {
      write: (data) => {
        if (reader.isDiscarded) return; // the application moved on: drop the rest unheld
        this.hold(data.length + ENTRY_OVERHEAD_BYTES);
        sink.write(data);
      },
      end: () => { this.streaming = null; sink.end(); },
      abort: (error) => { this.streaming = null; sink.abort(error); },
    };
  }

  /**
   * Push mode, for a callback handler: from now on every message goes to `consumer` in
   * arrival order — straight from the frame reader when nothing is queued before it, else
   * once what is ahead of it is (inflated messages included) — and its end once every
   * message before the close or failure was handed over. Messages queued already (those
   * that came with the handshake) are handed over after `before`. read(), next() and nextReader()
   * reject from then on. Nothing waits in the queue for the application, so the read
   * buffer holds only messages still inflating and those behind them.
   */
  consume(consumer: InboxConsumer, before?: () => void): void {
    if (this.consumer !== null || this.waiter !== null || this.current !== null) {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'this connection is already being read');
    }
    this.consumer = consumer;
    // `before` (the handler's open) runs first: what arrives meanwhile is queued behind.
    if (before) {
      this.pushing = true;
      try {
        before();
      } finally {
        this.pushing = false;
      }
    }
    this.pushReady();
  }

  /** A complete message arrived. */
  deliver(message: Message): void {
    const consumer = this.consumer;
    if (consumer !== null && this.queue.length === 0 && !this.pushing && !this.deliveryPaused) {
      // The callback handler's fast path: no queue, no promise, nothing held.
      this.pushing = true;
      try {
        consumer.message(message);
      } finally {
        this.pushing = false;
      }
      if (this.queue.length > 0 || this.failure !== null) this.pushReady();
      return;
    }
    if (this.queue.length === 0 && !this.deliveryPaused) {
      const waiter = this.nextWaiter();
      if (waiter !== null) return this.hand(waiter, message);
    }
    const weight = message.data.length + ENTRY_OVERHEAD_BYTES;
    if (this.readyCount === this.queue.length) {
      this.readyCount++;
      this.readyBytes += weight;
    }
    this.queue.push(message);
    this.hold(weight);
  }

  /** A compressed message arrived: it takes its place now and is filled once inflated. */
  reserve(compressedBytes: number): PendingMessage {
    const pending = new PendingMessage(compressedBytes);
    this.queue.push(pending);
    this.inflating++;
    this.hold(compressedBytes + ENTRY_OVERHEAD_BYTES);
    return pending;
  }

  /** The inflater filled `pending` (the first pending entry): it and what follows are ready. */
  fill(pending: PendingMessage, message: Message): void {
    const inflated = message.data.length;
    if (inflated > pending.bytes) this.hold(inflated - pending.bytes);
    else this.release(pending.bytes - inflated);
    pending.bytes = inflated;
    pending.message = message;
    this.inflating--;
    const queue = this.queue;
    while (this.readyCount < queue.length) {
      const entry = queue[this.readyCount];
      if (entry instanceof PendingMessage && entry.message === null) break;
      this.readyCount++;
      this.readyBytes += weightOf(entry);
    }
    this.serveWaiters();
  }

  /**
   * The inflation of `pending` failed: it and everything received after it are dropped, and
   * `error` is what the application is told after the messages before it. It replaces a
   * close received later (queued behind `pending`, so not told to anyone yet): a peer that
   * sends a corrupt message then closes cleanly must not look like a clean close.
   */
  cancel(pending: PendingMessage, error: Error): void {
    const at = this.queue.indexOf(pending);
    if (at < 0) return;
    this.failure = error;
    let dropped = 0;
    for (let i = at; i < this.queue.length; i++) {
      const entry = this.queue[i];
      dropped += weightOf(entry);
      if (entry instanceof PendingMessage && entry.message === null) this.inflating--;
    }
    this.queue.length = at;
    this.release(dropped);
    this.serveWaiters();
  }

  /**
   * No more messages after those already queued: once they are read, every waiter and every
   * later call gets `error`. The first failure wins.
   */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.streaming?.abort(error);
    this.streaming = null;
    this.serveWaiters();
  }

  /**
   * Resolves when the complete messages at the head of the queue hold at most `maxBytes`
   * (at once if they do). The inflater waits here before each message, so inflated bytes
   * stay bounded too; pending entries do not count, or they would wait for themselves.
   */
  whenRoom(): Promise<void> {
    if (this.readyBytes <= this.maxBytes) return Promise.resolve();
    return new Promise((resolve) => (this.roomWaiters ??= []).push(resolve));
  }

  /** True when whenRoom() would resolve at once. */
  get hasRoom(): boolean {
    return this.readyBytes <= this.maxBytes;
  }

  /** Complete messages received and not yet read (those still inflating not counted). */
  get queuedMessages(): number {
    return this.queue.length - this.inflating;
  }

  /** The read buffer's size (maxReadBufferBytes): past it, reading pauses. */
  get limitBytes(): number {
    return this.maxBytes;
  }

  /** Messages received whose inflation has not finished. */
  get inflatingMessages(): number {
    return this.inflating;
  }

  /** Bytes counted against the read buffer (queued messages with their overhead, unread streamed chunks). */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /** Hands ready messages to waiters in order; once the queue is empty after a failure, rejects the rest. */
  private serveWaiters(): void {
    if (this.consumer !== null) return this.pushReady();
    while (this.waiter !== null) {
      const message = this.takeReady();
      if (message === undefined) break;
      this.hand(this.nextWaiter()!, message);
    }
    if (this.failure === null || this.queue.length > 0) return;
    const error = this.failure;
    for (let waiter = this.nextWaiter(); waiter !== null; waiter = this.nextWaiter()) {
      if (waiter.kind === 'next' && endsIteration(error)) waiter.resolve(DONE);
      else waiter.reject(error);
    }
  }

  /** Push mode: hands the ready head of the queue to the consumer, then the end once it is reached. */
  private pushReady(): void {
    const consumer = this.consumer!;
    if (this.pushing) return; // the loop below, further up the stack, picks it up
    this.pushing = true;
    try {
      for (let message = this.takeReady(); message !== undefined; message = this.takeReady()) consumer.message(message);
      if (this.failure !== null && this.queue.length === 0 && !this.ended) {
        this.ended = true;
        consumer.end(this.failure);
      }
    } finally {
      this.pushing = false;
    }
  }

  /** Holds every message back (they queue, in order) until resumeDelivery(). */
  pauseDelivery(): void {
    this.deliveryPaused = true;
  }

  /** Hands out what was held, in order. */
  resumeDelivery(): void {
    if (!this.deliveryPaused) return;
    this.deliveryPaused = false;
    this.serveWaiters();
  }

  /** Takes the head of the queue if it is ready (and delivery is not paused). */
  private takeReady(): Message | undefined {
    if (this.readyCount === 0 || this.deliveryPaused) return undefined;
    const entry = this.queue.shift()!;
    this.readyCount--;
    const message = entry instanceof Message ? entry : entry.message!;
    const weight = message.data.length + ENTRY_OVERHEAD_BYTES;
    this.readyBytes -= weight;
    this.release(weight);
    return message;
  }

  private hand(waiter: Waiter, message: Message): void {
    if (waiter.kind === 'message') waiter.resolve(message);
    else if (waiter.kind === 'next') waiter.resolve({ done: false, value: message });
    else waiter.resolve(this.readerOf(message));
  }

  /** Gorilla's rule: a new read discards the rest of the previous streamed message. */
  private discardCurrent(): void {
    const reader = this.current!;
    this.current = null;
    reader.discard();
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
    const reader = new MessageReader(message.type, ignoreConsumed);
    const sink = reader.sink();
    if (message.data.length > 0) sink.write(message.data);
    sink.end();
    this.current = reader; // its bytes are released already, but the same rule applies
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
    if (this.roomWaiters !== null && this.readyBytes <= this.maxBytes) this.wakeRoomWaiters();
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
