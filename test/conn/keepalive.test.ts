import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Keepalive, type KeepaliveActions } from '../../src/conn/keepalive';

/** Records what the keepalive asked for, at which (fake) time. */
function recorder(): KeepaliveActions & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    sendKeepalivePing: () => log.push(`ping@${Date.now()}`),
    pongTimedOut: () => log.push(`pong-timeout@${Date.now()}`),
    idleTimedOut: () => log.push(`idle@${Date.now()}`),
  };
}

describe('Keepalive', () => {
  beforeEach(() => { vi.useFakeTimers({ now: 0 }); });
  afterEach(() => { vi.useRealTimers(); });

  it('pings every interval when the pong deadline outlasts the interval (54 s / 60 s) and pongs come back', () => {
    const actions = recorder();
    const keepalive = new Keepalive({ pingIntervalMs: 54_000, pongTimeoutMs: 60_000, idleTimeoutMs: 0 }, actions);
    for (let tick = 1; tick <= 5; tick++) {
      vi.advanceTimersByTime(54_000 - 100);
      if (tick > 1) expect(actions.log.at(-1)).toBe(`ping@${(tick - 1) * 54_000}`);
      vi.advanceTimersByTime(100); // the tick
      vi.advanceTimersByTime(20);
      keepalive.received(); // its pong, 20 ms later
    }
    expect(actions.log).toEqual([1, 2, 3, 4, 5].map((n) => `ping@${n * 54_000}`));
    keepalive.stop();
  });

  it('does not time out while the connection has paused its own reading (the pongs wait unread)', () => {
    const actions = Object.assign(recorder(), { isReadingPaused: true });
    const keepalive = new Keepalive({ pingIntervalMs: 1000, pongTimeoutMs: 500, idleTimeoutMs: 3000 }, actions);
    vi.advanceTimersByTime(10_000);
    expect(actions.log.filter((e) => !e.startsWith('ping@'))).toEqual([]);
    actions.isReadingPaused = false;
    vi.advanceTimersByTime(3000);
    // Reading again, silence counts: the ping sent at 10 000 times out, the idle clock runs from the last paused check (9000).
    const deadlines = actions.log.filter((e) => !e.startsWith('ping@'));
    expect(deadlines[0]).toBe('pong-timeout@10500');
    expect(deadlines).toContain('idle@12000');
    keepalive.stop();
  });

  it('holds the next ping back while the last one is unanswered, and times it out at its deadline', () => {
    const actions = recorder();
    const keepalive = new Keepalive({ pingIntervalMs: 54_000, pongTimeoutMs: 60_000, idleTimeoutMs: 0 }, actions);
    vi.advanceTimersByTime(54_000 + 60_000);
    expect(actions.log).toEqual(['ping@54000', 'pong-timeout@114000']);
    keepalive.stop();
  });

  it('times out a ping answered by nothing when the deadline is shorter than the interval', () => {
    const actions = recorder();
    const keepalive = new Keepalive({ pingIntervalMs: 1000, pongTimeoutMs: 300, idleTimeoutMs: 0 }, actions);
    vi.advanceTimersByTime(1000);
    keepalive.received();
    vi.advanceTimersByTime(1000 + 300);
    expect(actions.log).toEqual(['ping@1000', 'ping@2000', 'pong-timeout@2300']);
    keepalive.stop();
  });

  it('pongTimeoutMs 0 pings without a deadline', () => {
    const actions = recorder();
    const keepalive = new Keepalive({ pingIntervalMs: 1000, pongTimeoutMs: 0, idleTimeoutMs: 0 }, actions);
    vi.advanceTimersByTime(3500);
    expect(actions.log).toEqual(['ping@1000', 'ping@2000', 'ping@3000']);
    keepalive.stop();
  });

  it('does nothing once stopped', () => {
    const actions = recorder();
    const keepalive = new Keepalive({ pingIntervalMs: 1000, pongTimeoutMs: 1500, idleTimeoutMs: 500 }, actions);
    keepalive.stop();
    vi.advanceTimersByTime(10_000);
    expect(actions.log).toEqual([]);
  });
});
