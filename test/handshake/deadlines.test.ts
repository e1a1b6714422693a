import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../src/handshake/deadlines';

describe('Deadlines (one timer for every pending handshake)', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('expires each key once its time has passed, in order, and never a deleted one', () => {
    vi.useFakeTimers();
    const expired: string[] = [];
    const deadlines = new Deadlines<string>(100);
    deadlines.add('a', () => expired.push('a'));
    vi.advanceTimersByTime(30);
    deadlines.add('b', () => expired.push('b'));
    deadlines.add('c', () => expired.push('c'));
    vi.advanceTimersByTime(30);
    deadlines.add('d', () => expired.push('d'));
    deadlines.delete('c');
    vi.advanceTimersByTime(45); // t = 105: only a is due
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(30); // t = 135: b
    expect(expired).toEqual(['a', 'b']);
    vi.advanceTimersByTime(40); // t = 175: d (c was deleted)
    expect(expired).toEqual(['a', 'b', 'd']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds one timer however many keys wait, and none once the last is deleted (a closed server exits)', () => {
    vi.useFakeTimers();
    const deadlines = new Deadlines<number>(1000);
    for (let i = 0; i < 500; i++) deadlines.add(i, () => { throw new Error('must not expire'); });
    expect(vi.getTimerCount()).toBe(1);
    for (let i = 0; i < 500; i++) deadlines.delete(i);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2000);
  });

  it('a key added again after expiring gets a new deadline', () => {
    vi.useFakeTimers();
    let count = 0;
    const deadlines = new Deadlines<string>(50);
    deadlines.add('k', () => { count++; deadlines.add('k', () => { count++; }); });
    vi.advanceTimersByTime(60);
    expect(count).toBe(1);
    vi.advanceTimersByTime(60);
    expect(count).toBe(2);
  });
});
