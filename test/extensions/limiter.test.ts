import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/extensions/limiter';

describe('Limiter', () => {
  it('runs at most `concurrency` jobs at once, the rest in arrival order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (i: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      running--;
      return i;
    };
    expect(await Promise.all([0, 1, 2, 3, 4].map((i) => limiter.run(job(i))))).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('a job that throws synchronously rejects its run() and frees its slot (running or queued)', async () => {
    const limiter = new Limiter(1);
    const boom = () => { throw new RangeError('bad zlib option'); };
    await expect(limiter.run(boom)).rejects.toThrow(RangeError);
    // Queued behind a running job, then throwing when started: the next one still runs.
    const first = limiter.run(() => new Promise((r) => setTimeout(() => r('first'), 5)));
    const second = limiter.run(boom);
    const third = limiter.run(async () => 'third');
    await expect(second).rejects.toThrow(RangeError);
    expect(await Promise.race([Promise.all([first, third]), new Promise((r) => setTimeout(() => r('stalled'), 1000))])).toEqual(['first', 'third']);
  });
});
