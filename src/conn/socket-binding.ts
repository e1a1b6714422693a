import type { WritableSocket } from './writability';

/** The socket a Conn runs on: node:net Socket and tls.TLSSocket fit. */
export interface ConnSocket extends WritableSocket {
  /** Each chunk read from the socket. */
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  /** The socket closed (`close`), the peer's FIN arrived (`end`), or the write buffer drained (`drain`). */
  on(event: 'close' | 'end' | 'drain', listener: () => void): unknown;
  /** A socket error; `close` follows. */
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Ends our half of the connection (TCP FIN) after what is written. */
  end(): unknown;
  /** Closes the socket at once. */
  destroy(): unknown;
  /** Stops reading (backpressure): no `data` until resume(). */
  pause(): unknown;
  /** Reads again after pause(). */
  resume(): unknown;
  /** Turns Nagle's algorithm off (node:net); called when present. */
  setNoDelay?(noDelay?: boolean): unknown;
  /** The peer's address, when the socket knows it. */
  readonly remoteAddress?: string | undefined;
  /** True once the socket is closed. */
  readonly destroyed: boolean;
  /** The peer's FIN was read (node:net); checked when a Conn is made on a socket. */
  readonly readableEnded?: boolean;
  /** False once our side of the socket has ended; checked when a Conn is made on it. */
  readonly writable?: boolean;
}

/** What a socket's events are told to (the connection's core). */
export interface SocketEvents {
  onData(chunk: Uint8Array): void;
  onSocketError(err: Error): void;
  /** The socket closed. */
  finish(): void;
  /** The peer ended TCP. */
  onPeerEnd(): void;
}

/** Where a socket's listeners find their connection: one set of listener functions serves all. */
const kCore = Symbol('wasmws.core');
type BoundSocket = ConnSocket & { [kCore]: SocketEvents };

function onSocketData(this: BoundSocket, chunk: Uint8Array): void {
  this[kCore].onData(chunk);
}
function onSocketError(this: BoundSocket, err: Error): void {
  this[kCore].onSocketError(err);
}
function onSocketClose(this: BoundSocket): void {
  this[kCore].finish();
}
function onSocketEnd(this: BoundSocket): void {
  this[kCore].onPeerEnd();
}

/** Sends `socket`'s events to `core`, with no closure per connection (Nagle off). */
export function bindSocket(socket: ConnSocket, core: SocketEvents): void {
  (socket as BoundSocket)[kCore] = core;
  socket.setNoDelay?.(true);
  socket.on('data', onSocketData);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
  socket.on('end', onSocketEnd);
}
