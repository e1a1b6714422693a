import { NativeSocket } from './native-socket';

/** The part of a Bun TCP socket used here (Bun.listen / Bun.connect). */
interface BunTcp {
  data: BunSocket;
  readonly remoteAddress: string;
  write(data: Uint8Array): number;
  shutdown(): void;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(on: boolean): void;
}

interface BunListener {
  readonly hostname: string;
  readonly port: number;
  stop(closeActive?: boolean): void;
}

interface BunApi {
  listen(options: { hostname: string; port: number; socket: typeof handlers }): BunListener;
  connect(options: { hostname: string; port: number; socket: typeof handlers }): Promise<BunTcp>;
}

/**
 * A Bun TCP socket (Bun.listen, Bun.connect) as a ConnSocket. Bun's write() takes what the
 * kernel takes and returns the count: the rest stays queued (NativeSocket) and goes from the
 * `drain` handler. Bun's node:net, by contrast, corks and concatenates every buffered
 * write and adds a 'drain' listener per write: 4× node's server CPU for 1 MiB echoes.
 */
export class BunSocket extends NativeSocket {
  constructor(private readonly tcp: BunTcp) {
    super();
    tcp.data = this;
    this.remoteAddress = tcp.remoteAddress;
    tcp.setNoDelay(true);
  }

  protected send(): void {
    for (;;) {
      this.joinHead();
      const head = this.queue[0];
      const n = this.tcp.write(head);
      if (n < 0) return; // closed: the close handler follows
      this.wrote(n);
      if (n < head.length) return; // the kernel is full: the drain handler goes on
      if (this.queue.length === 0) {
        this.drained();
        return;
      }
    }
  }

  protected shutdown(): void {
    if (this.readableEnded) this.tcp.end();
    else this.tcp.shutdown();
  }

  protected terminate(): void {
    this.tcp.terminate();
  }

  protected setReading(on: boolean): void {
    if (on) this.tcp.resume();
    else this.tcp.pause();
  }

  /** @internal Bun's handlers, shared by every socket (each finds its wrapper in `data`). */
  static readonly handlers = {
    open(tcp: BunTcp) { if (!tcp.data) new BunSocket(tcp); },
    data(tcp: BunTcp, chunk: Uint8Array) { tcp.data.received(chunk); },
    drain(tcp: BunTcp) { const s = tcp.data; if (s.queue.length > 0) s.send(); },
    end(tcp: BunTcp) { tcp.data.peerEnded(); },
    error(tcp: BunTcp, error: Error) { tcp.data?.failed(error); },
    close(tcp: BunTcp) { tcp.data?.closedNow(); },
  };
}

const handlers = BunSocket.handlers;

function bun(): BunApi {
  return (globalThis as unknown as { Bun: BunApi }).Bun;
}

/** Listens with Bun.listen; `onSocket` gets every accepted socket. */
export function bunListen(host: string, port: number, onSocket: (socket: BunSocket) => void): { address: { address: string; port: number }; stop(): void } {
  const listener = bun().listen({
    hostname: host, port,
    socket: { ...handlers, open(tcp: BunTcp) { onSocket(new BunSocket(tcp)); } },
  });
  return { address: { address: listener.hostname, port: listener.port }, stop: () => listener.stop(false) };
}

/** Connects with Bun.connect. */
export async function bunConnect(host: string, port: number): Promise<BunSocket> {
  const tcp = await bun().connect({ hostname: host, port, socket: handlers });
  return tcp.data ?? new BunSocket(tcp);
}
