/** A server that listens on a TCP port (node:net, node:tls, node:http2 servers fit). */
interface ListeningServer {
  once(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  listen(port: number, host: string, callback: () => void): unknown;
}

/**
 * Starts `server` on `port` (0: a free one) and `host` (default 127.0.0.1), resolving with
 * `handle` once it listens, or rejecting with the listen error (a port in use, say).
 */
export function listen<T>(server: ListeningServer, options: { port?: number; host?: string }, handle: T): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(handle);
    });
  });
}
