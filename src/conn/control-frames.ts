import { OP_PING, OP_PONG } from '../codec/constants';
import { AlreadyClosedError, WebSocketError } from '../errors';
import type { FrameWriter } from '../frame/writer';
import { MAX_CONTROL_PAYLOAD_BYTES } from '../protocol/limits';
import type { WriteCallback } from './completions';
import { callListener } from './listener';
import type { Outbox } from './outbox';
import { PendingPings } from './pings';
import { handled } from './writability';

/** What the control frames need from their connection. */
export interface ControlHost {
  /** False once our close frame is queued or the connection is closed: no control frame may follow. */
  readonly canSendControl: boolean;
  /** onPing/onPong threw or rejected. */
  listenerFailed(name: string, error: Error): void;
}

const encoder = new TextEncoder();

/**
 * Pings and pongs, ours and the peer's (RFC 6455 §5.5.2-3): a ping's round trip, the
 * automatic pong (unless `autoPong` is false), the application's listeners. Control frames
 * may overtake data waiting in the outbox.
 */
export class ControlFrames {
  onPing: ((payload: Uint8Array) => void) | undefined;
  onPong: ((payload: Uint8Array) => void) | undefined;
  private pings: PendingPings | null = null;

  constructor(
    private readonly writer: FrameWriter,
    private readonly outbox: Outbox,
    private readonly options: { readonly autoPong: boolean; readonly pongTimeoutMs: number },
    private readonly host: ControlHost,
  ) {}

  /** Conn.ping(); the caller has checked the connection is open. */
  ping(data: Uint8Array | string, done: WriteCallback | undefined): Promise<number> {
    const payload = typeof data === 'string' ? encoder.encode(data) : data;
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `ping payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD_BYTES}`);
    }
    const { sent, rtt, error } = (this.pings ??= new PendingPings(this.options.pongTimeoutMs)).add(payload);
    if (sent) this.send(OP_PING, payload, done);
    // Refused now, not from the rejection's reaction: its place among the callbacks is this call's.
    else if (done) void this.outbox.refuse(error!, done);
    return handled(rtt);
  }

  /** Conn.pong(); the caller has checked the connection is open. */
  pong(payload: Uint8Array, done: WriteCallback | undefined): void {
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `pong payload is ${payload.length} bytes; at most ${MAX_CONTROL_PAYLOAD_BYTES}`);
    this.send(OP_PONG, payload, done);
  }

  /** A ping arrived (`payload` is the reader's own copy: the user may keep it). */
  received(opcode: number, payload: Uint8Array): void {
    if (opcode === OP_PING) {
      // The pong is queued first: a listener that throws cannot keep it from going out, and
      // a listener changing the payload cannot change it.
      if (this.options.autoPong && this.host.canSendControl) {
        const frames: Uint8Array[] = [];
        this.writer.frame(OP_PONG, payload, true, false, frames);
        this.outbox.enqueuePong(frames[0]);
      }
      if (this.onPing) callListener(this.onPing, [payload], (e) => this.host.listenerFailed('onPing', e));
    } else {
      this.pings?.settle(payload);
      if (this.onPong) callListener(this.onPong, [payload], (e) => this.host.listenerFailed('onPong', e));
    }
  }

  /** Queues a ping or pong ahead of waiting data; `done` as send()'s. */
  send(opcode: number, payload: Uint8Array, done?: WriteCallback): void {
    if (!this.host.canSendControl) {
      if (done) void this.outbox.refuse(new AlreadyClosedError(), done);
      return;
    }
    const frames: Uint8Array[] = [];
    this.writer.frame(opcode, payload, true, false, frames);
    this.outbox.enqueueControl(frames, done);
  }

  /** The connection is gone: the pings waiting for a pong reject. */
  close(error: Error): void {
    this.pings?.rejectAll(error);
  }
}
