/**
 * Runs at most `concurrency` async jobs at once, the rest in arrival order. zlib work goes
 * through one of these: each job holds a threadpool slot and zlib's buffers while it runs,
 * and thousands of connections compressing at once fragment memory badly (nodejs/node#8871).
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
        job().then(resolve, reject).finally(() => {
          this.running--;
          this.queue.shift()?.();
        });
      };
      if (this.running < this.concurrency) start();
      else this.queue.push(start);
    });
  }
}
