import { constants, type Http2Stream } from 'node:http2';
import type { ConnSocket } from '../conn/core';

type Listener = (...args: never[]) => void;
type AnyListener = (...args: unknown[]) => void;

/**
 * An HTTP/2 stream as the socket a Conn runs on (RFC 8441 §5-6). The WebSocket is the
 * stream: its DATA frames carry the WebSocket bytes, its flow-control window is the
 * backpressure (write() returns false and 'drain' follows once the peer's WINDOW_UPDATE lets
 * the queued bytes out), the peer's END_STREAM is the end of input ('end'), our end() is
 * END_STREAM after the close handshake, and destroy() is RST_STREAM with CANCEL (§6: what a
 * TCP reset is for HTTP/1.1). Never the whole session: the other streams go on.
 *
 * The core's listeners read `this` (one set of functions serves all connections), so each
 * is bound to this adapter; that is a handful of bindings per connection, nothing per message.
 */
export class Http2StreamSocket implements ConnSocket {
  /** The HTTP/2 stream this WebSocket runs on. */
  readonly stream: Http2Stream;

  /** Wraps `stream` (a node:http2 server or client stream whose response is under way). */
  constructor(stream: Http2Stream) {
    this.stream = stream;
  }

  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean {
    return this.stream.write(data, callback);
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  get writableLength(): number {
    return this.stream.writableLength;
  }

  get writableNeedDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  on(event: string, listener: Listener): this {
    this.stream.on(event, listener.bind(this) as AnyListener);
    return this;
  }

  once(event: string, listener: Listener): this {
    this.stream.once(event, listener.bind(this) as AnyListener);
    return this;
  }

  /** END_STREAM: our half is done (the close handshake, or the peer's end answered). */
  end(): void {
    if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
  }

  /** RST_STREAM with CANCEL (RFC 8441 §6): an abnormal end of this WebSocket only. */
  destroy(): void {
    if (!this.stream.destroyed && !this.stream.closed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** The address of the peer of the HTTP/2 session the stream belongs to. */
  get remoteAddress(): string | undefined {
    return this.stream.session?.socket?.remoteAddress;
  }

  get destroyed(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  get readableEnded(): boolean {
    return this.stream.readableEnded;
  }

  get writable(): boolean {
    return this.stream.writable;
  }
}
