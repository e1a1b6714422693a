/** What the keepalive asks its connection to do. */
export interface KeepaliveActions {
  sendKeepalivePing(): void;
  /** A ping went unanswered (nothing at all was received) for pongTimeoutMs. */
  pongTimedOut(): void;
  /** Nothing was received for idleTimeoutMs. */
  idleTimedOut(): void;
  /**
   * True while the connection itself is not reading (the application's backlog is full):
   * the peer's pongs and data wait unread, so silence then is not the peer's.
   */
  readonly isReadingPaused?: boolean;
}

/**
 * Pings on an interval and watches for silence. Anything received counts as a sign of
 * life, not only the pong, so a busy connection whose pong is queued behind data is not
 * dropped; nor is one whose reading the application's backlog has paused. `received()` runs per socket chunk, so it only stores a timestamp: the timers
 * check it when they fire instead of being re-armed for every chunk. A connection with
 * neither a ping interval nor an idle timeout has no Keepalive at all (see needsKeepalive).
 */
export class Keepalive {
  private lastReceivedAt = Date.now();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the ping behind pongTimer went out. */
  private pingSentAt = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly options: { pingIntervalMs: number; pongTimeoutMs: number; idleTimeoutMs: number },
    private readonly actions: KeepaliveActions,
  ) {
    if (options.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.sendPing(), options.pingIntervalMs);
      unref(this.pingTimer);
    }
    if (options.idleTimeoutMs > 0) this.armIdle(options.idleTimeoutMs);
  }

  /** Something arrived from the peer. */
  received(): void {
    this.lastReceivedAt = Date.now();
  }

  /** Stops every timer (the connection is closing). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.idleTimer);
  }

  /**
   * One tick of the interval. A ping whose deadline is still running (pongTimeoutMs ≥
   * pingIntervalMs) is answered once anything arrived after it: its timer is dropped and the
   * next ping goes out on time. Only a ping still unanswered holds the tick back (one
   * deadline at a time), or the interval would double whenever the deadline outlasts it.
   */
  private sendPing(): void {
    if (this.pongTimer !== undefined) {
      if (this.lastReceivedAt < this.pingSentAt) return; // still waiting on the last one
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
    }
    const sentAt = (this.pingSentAt = Date.now());
    this.actions.sendKeepalivePing();
    if (this.options.pongTimeoutMs <= 0) return; // 0: pings without a deadline
    this.pongTimer = setTimeout(() => {
      this.pongTimer = undefined;
      if (!this.stopped && this.lastReceivedAt < sentAt && !this.actions.isReadingPaused) this.actions.pongTimedOut();
    }, this.options.pongTimeoutMs);
    unref(this.pongTimer);
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      if (this.stopped) return;
      if (this.actions.isReadingPaused) this.received(); // our silence: count from the resume
      const silentMs = Date.now() - this.lastReceivedAt;
      if (silentMs >= this.options.idleTimeoutMs) this.actions.idleTimedOut();
      else this.armIdle(this.options.idleTimeoutMs - silentMs);
    }, ms);
    unref(this.idleTimer);
  }
}

/** True when `options` ask for any timer: otherwise a connection makes no Keepalive. */
export function needsKeepalive(options: { pingIntervalMs: number; idleTimeoutMs: number }): boolean {
  return options.pingIntervalMs > 0 || options.idleTimeoutMs > 0;
}

/** Timers must not keep a process alive on their own (the socket does that). */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
