import { NativeSocket } from './native-socket';

/** The part of a Deno.Conn used here. */
interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay(on?: boolean): void;
  readonly remoteAddr: { hostname?: string };
}

interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: { hostname: string; port: number };
  close(): void;
}

interface DenoApi {
  listen(options: { hostname: string; port: number }): DenoListener;
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
}

/** Bytes asked of each read; a read that fills at least half of it is passed on without a copy. */
const READ_BYTES = 64 * 1024;

function ignore(): void {}

/**
 * A Deno.Conn (Deno.listen, Deno.connect) as a ConnSocket. Deno's read and write are
 * promises: one read is in flight while reading is on, one write while bytes are queued
 * (NativeSocket holds the rest in order; a short write goes on with the remainder). Each
 * chunk handed on is its own memory: the core's messages are views of it.
 */
export class DenoSocket extends NativeSocket {
  private reading = false;
  private wantRead = true;
  private finished = { read: false, write: false };

  constructor(private readonly conn: DenoConn) {
    super();
    this.remoteAddress = conn.remoteAddr.hostname;
    try { conn.setNoDelay(true); } catch { /* not TCP */ }
    this.setReading(true);
  }

  protected send(): void {
    this.joinHead();
    const head = this.queue[0];
    this.conn.write(head).then((n) => {
      if (this.destroyed) return;
      this.wrote(n);
      if (this.queue.length > 0) this.send();
      else this.drained();
    }, (error: Error) => this.failed(error));
  }

  protected shutdown(): void {
    this.conn.closeWrite().then(() => {
      this.finished.write = true;
      this.closeIfDone();
    }, ignore);
  }

  protected terminate(): void {
    try { this.conn.close(); } catch { /* closed already */ }
    queueMicrotask(() => this.closedNow());
  }

  protected setReading(on: boolean): void {
    this.wantRead = on;
    if (on && !this.reading) void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    this.reading = true;
    let buffer = new Uint8Array(READ_BYTES);
    try {
      while (this.wantRead && !this.destroyed) {
        const n = await this.conn.read(buffer);
        if (this.destroyed) return;
        if (n === null) {
          this.finished.read = true;
          this.peerEnded();
          this.closeIfDone();
          return;
        }
        if (n >= READ_BYTES / 2) {
          this.received(buffer.subarray(0, n));
          buffer = new Uint8Array(READ_BYTES);
        } else {
          this.received(buffer.slice(0, n));
        }
      }
    } catch (error) {
      if (!this.destroyed) this.failed(error as Error);
    } finally {
      this.reading = false;
    }
  }

  /** Both halves ended: the socket is closed (as node:net closes it). */
  private closeIfDone(): void {
    if (this.finished.read && this.finished.write && !this.destroyed) this.destroy();
  }
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

/** Listens with Deno.listen; `onSocket` gets every accepted connection. */
export function denoListen(host: string, port: number, onSocket: (socket: DenoSocket) => void): { address: { address: string; port: number }; stop(): void } {
  const listener = deno().listen({ hostname: host, port });
  void (async () => {
    try {
      for await (const conn of listener) onSocket(new DenoSocket(conn));
    } catch { /* the listener was closed */ }
  })();
  return { address: { address: listener.addr.hostname, port: listener.addr.port }, stop: () => { try { listener.close(); } catch { /* closed */ } } };
}

/** Connects with Deno.connect. */
export async function denoConnect(host: string, port: number): Promise<DenoSocket> {
  return new DenoSocket(await deno().connect({ hostname: host, port }));
}
