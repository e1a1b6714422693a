/**
 * Calls an application callback so that whatever it does stays its own: a throw, or the
 * rejection of the promise an async callback returns, goes to `failed`, never into the
 * caller (a socket's data event, where it would crash the process or leave the frame reader
 * mid-chunk).
 */
export function callListener<A extends unknown[]>(listener: (...args: A) => unknown, args: A, failed: (error: Error) => void): void {
  const fail = (err: unknown) => failed(err instanceof Error ? err : new Error(String(err)));
  try {
    const result = listener(...args) as PromiseLike<unknown> | undefined;
    if (typeof result?.then === 'function') result.then(undefined, fail);
  } catch (err) {
    fail(err);
  }
}
