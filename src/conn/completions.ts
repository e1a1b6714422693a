import { callListener } from './listener';

/** Told once a send's bytes are written to the socket (no argument), or with the error that stopped them. */
export type WriteCallback = (error?: Error) => void;

/**
 * One write callback's place in the line. `settled` once its bytes are written (or failed:
 * `error`); called only once every callback before it was called.
 */
export interface Completion {
  callback: WriteCallback | null;
  settled: boolean;
  error: Error | undefined;
}

/** What the completions report: a callback that threw (or rejected). */
export interface CompletionHost {
  writeCallbackFailed(error: Error): void;
}

/** Past this many called entries at the head, the line is compacted. */
const COMPACT_AT = 1024;

/**
 * The write callbacks of one connection, in the order of the calls that gave them (ws's
 * rule: a send's callback runs after those of the sends before it). Each is settled when
 * the socket's write carrying its last byte completes, or with the error when the
 * connection goes first; it is called once, when everything before it has been called. A
 * control frame may overtake data waiting to be compressed: its callback still waits for
 * theirs.
 *
 * Made on a connection's first send with a callback: the sends without one pay nothing.
 */
export class Completions {
  private readonly line: (Completion | undefined)[] = [];
  private head = 0;
  private draining = false;
  private drainScheduled = false;

  constructor(private readonly host: CompletionHost) {}

  /** A place in the line for `callback`, settled later (written() or fail()). */
  add(callback: WriteCallback): Completion {
    const entry: Completion = { callback, settled: false, error: undefined };
    this.line.push(entry);
    return entry;
  }

  /** `callback`'s send failed before anything was queued: it gets `error` after the callbacks before it, never synchronously. */
  addFailed(callback: WriteCallback, error: Error): void {
    const entry = this.add(callback);
    entry.settled = true;
    entry.error = error;
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** The socket's write that carried `batch`'s last bytes completed (with `error` if it failed). */
  written(batch: readonly Completion[], error: Error | null | undefined): void {
    for (const entry of batch) settle(entry, error ?? undefined);
    this.drain();
  }

  /** Entries that will never be written (dropped, compression failed) get `error`. */
  fail(entries: readonly Completion[], error: Error): void {
    for (const entry of entries) settle(entry, error);
    this.drain();
  }

  /** The connection is gone: every entry not yet written gets `error`, in order. */
  failAll(error: Error): void {
    const line = this.line;
    for (let i = this.head; i < line.length; i++) settle(line[i]!, error);
    this.drain();
  }

  /** Calls the settled callbacks at the head of the line. A callback that sends more re-enters add() only. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const line = this.line;
    while (this.head < line.length && line[this.head]!.settled) {
      const entry = line[this.head]!;
      line[this.head++] = undefined;
      const callback = entry.callback!;
      entry.callback = null;
      if (entry.error === undefined) callListener(callback, [], this.reportFailure);
      else callListener(callback, [entry.error], this.reportFailure);
    }
    if (this.head === line.length) {
      line.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AT) {
      line.splice(0, this.head);
      this.head = 0;
    }
    this.draining = false;
  }

  private readonly reportFailure = (error: Error): void => this.host.writeCallbackFailed(error);
}

function settle(entry: Completion, error: Error | undefined): void {
  if (entry.settled) return;
  entry.settled = true;
  entry.error = error;
}
