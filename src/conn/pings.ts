import { TimeoutError, WebSocketError } from '../errors';

/**
 * Most application pings (`conn.ping()`) waiting for their pong at once. Each has a
 * deadline too, so the list drains on its own; the bound stops a loop that pings without
 * awaiting from holding a timer and a payload copy per call.
 */
export const MAX_PENDING_PINGS = 16;

interface PendingPing {
  payload: Uint8Array;
  sentAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve: (rttMs: number) => void;
  reject: (err: Error) => void;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The application's pings waiting for their pongs. A ping settles with its round-trip time
 * when its pong arrives, rejects with a TimeoutError when none came within `timeoutMs`
 * (0 = no deadline), and with the close error when the connection closes first. RFC 6455
 * §5.5.3: a pong answers the ping whose payload it carries; a peer may answer only the
 * latest of several pings, so that pong settles every older one too.
 */
export class PendingPings {
  private list: PendingPing[] | null = null;

  constructor(private readonly timeoutMs: number) {}

  /**
   * Registers a ping about to be sent. Returns the promise of its round trip, or a
   * rejection (WS_ERR_TOO_MANY_PINGS, also as `error`) when MAX_PENDING_PINGS are already
   * waiting: then the ping must not be sent.
   */
  add(payload: Uint8Array): { sent: boolean; rtt: Promise<number>; error?: Error } {
    const list = (this.list ??= []);
    if (list.length >= MAX_PENDING_PINGS) {
      const error = new WebSocketError('WS_ERR_TOO_MANY_PINGS', `${MAX_PENDING_PINGS} pings are already waiting for their pongs`);
      return { sent: false, rtt: Promise.reject(error), error };
    }
    const rtt = new Promise<number>((resolve, reject) => {
      const ping: PendingPing = { payload: payload.slice(), sentAt: performance.now(), timer: undefined, resolve, reject };
      if (this.timeoutMs > 0) {
        ping.timer = setTimeout(() => this.expire(ping), this.timeoutMs);
        (ping.timer as { unref?: () => void }).unref?.();
      }
      list.push(ping);
    });
    return { sent: true, rtt };
  }

  /** A pong arrived: settles the ping it answers and every older one. */
  settle(payload: Uint8Array): void {
    const list = this.list;
    const index = list ? list.findIndex((p) => sameBytes(p.payload, payload)) : -1;
    if (index < 0) return;
    const now = performance.now();
    for (const ping of list!.splice(0, index + 1)) {
      clearTimeout(ping.timer);
      ping.resolve(now - ping.sentAt);
    }
  }

  /** The connection closed: every waiting ping rejects with `error`. */
  rejectAll(error: Error): void {
    for (const ping of this.list?.splice(0) ?? []) {
      clearTimeout(ping.timer);
      ping.reject(error);
    }
  }

  private expire(ping: PendingPing): void {
    const index = this.list?.indexOf(ping) ?? -1;
    if (index < 0) return;
    this.list!.splice(index, 1);
    ping.reject(new TimeoutError(`no pong within ${this.timeoutMs} ms`));
  }
}
