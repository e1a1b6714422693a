/** What the keepalive asks its connection to do. */
export interface KeepaliveActions {
  sendKeepalivePing(): void;
  /** A ping went unanswered (nothing at all was received) for pongTimeoutMs. */
  pongTimedOut(): void;
  /** Nothing was received for idleTimeoutMs. */
  idleTimedOut(): void;
}

/**
 * Pings on an interval and watches for silence. Anything received counts as a sign of
 * life, not only the pong, so a busy connection whose pong is queued behind data is not
 * dropped. `received()` runs per socket chunk, so it only stores a timestamp: the timers
 * check it when they fire instead of being re-armed for every chunk. A connection with
 * neither a ping interval nor an idle timeout has no Keepalive at all (see needsKeepalive).
 */
export class Keepalive {
  private lastReceivedAt = Date.now();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
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

  private sendPing(): void {
    if (this.pongTimer !== undefined) return; // still waiting on the last one
    const sentAt = Date.now();
    this.actions.sendKeepalivePing();
    this.pongTimer = setTimeout(() => {
      this.pongTimer = undefined;
      if (!this.stopped && this.lastReceivedAt < sentAt) this.actions.pongTimedOut();
    }, this.options.pongTimeoutMs);
    unref(this.pongTimer);
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      if (this.stopped) return;
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
