import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { NativeSocket } from './native-socket';
import type { nativeTransport } from './pick';

type NativeTransport = NonNullable<ReturnType<typeof nativeTransport>>;

/**
 * A runtime's own listener (Bun.listen, Deno.listen) with the face of the node:net Server
 * that serve() uses: listen(port, host, callback), 'error', address(), close(callback).
 */
export class NativeServer extends EventEmitter {
  private listener: ReturnType<NativeTransport['listen']> | undefined;

  constructor(private readonly transport: NativeTransport, private readonly onSocket: (socket: NativeSocket) => void) {
    super();
  }

  listen(port: number, host: string, callback: () => void): this {
    try {
      this.listener = this.transport.listen(host, port, this.onSocket);
    } catch (error) {
      queueMicrotask(() => this.emit('error', error)); // a port in use, say
      return this;
    }
    queueMicrotask(callback);
    return this;
  }

  address(): AddressInfo {
    const { address, port } = this.listener!.address;
    return { address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' };
  }

  /** Stops accepting; open sockets are left to their owners (serve() closes them). */
  close(callback?: () => void): this {
    this.listener?.stop();
    if (callback) queueMicrotask(callback);
    return this;
  }
}
