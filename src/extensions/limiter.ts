/**
 * Runs at most `concurrency` async jobs at once, the rest in arrival order. zlib work goes
 * through one of these: each job holds a threadpool slot and zlib's buffers while it runs,
 * and thousands of connections compressing at once fragment memory badly (nodejs/node#8871).
 * A job that throws, synchronously or not, rejects its own run() and frees its slot: one
 * bad job (a zlib option out of range throws at stream creation) must not stall the
 * process's compression for good.
 */
export class Limiter {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  /** Runs `job` when a slot is free. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        let result: Promise<T>;
        try {
          result = job();
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(resolve, reject).finally(() => {
          this.running--;
          this.queue.shift()?.();
        });
      };
      if (this.running < this.concurrency) start();
      else this.queue.push(start);
    });
  }
}
