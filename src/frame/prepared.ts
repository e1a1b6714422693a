import { outgoingMessage } from './outgoing';
import type { FrameWriter } from './writer';

/**
 * A message encoded once and sent to many connections (gorilla's PreparedMessage).
 * Server frames are unmasked, so every server connection writes the same bytes: they are
 * encoded on first use and shared, with no per-connection copy. Client frames need a fresh
 * mask per send and are encoded at each send. Compressed encodings are cached per
 * negotiated parameter set by the compression layer (keyed by `variant`).
 */
export class PreparedMessage {
  /** OP_TEXT or OP_BINARY. */
  readonly opcode: number;
  /** The payload as given (for text, its UTF-8). */
  readonly payload: Uint8Array;
  /** The unmasked frames for the first framing asked for (servers share one), then the others'. */
  private firstVariant: number | string | undefined;
  private firstFrames: readonly Uint8Array[] | undefined;
  private encodings: Map<number | string, readonly Uint8Array[]> | undefined;
  private readonly compressed = new Map<string, Promise<Uint8Array> | Uint8Array>();

  constructor(data: string | Uint8Array | ArrayBuffer, options: { binary?: boolean } = {}) {
    const message = outgoingMessage(data, options.binary);
    this.opcode = message.opcode;
    this.payload = message.payload;
  }

  /**
   * The frames of this message for `writer`. Unmasked encodings are cached under `variant`
   * (the writer's framing: its maxFrameBytes, and the compression parameters when
   * compressed). The first variant has a slot of its own: a broadcast asks for it once per
   * subscriber, and a field compare is cheaper than a Map lookup.
   */
  frames(writer: FrameWriter, variant: number | string, encode: (out: Uint8Array[]) => void = (out) => writer.message(this.opcode, this.payload, out)): readonly Uint8Array[] {
    if (writer.isMasking) {
      const out: Uint8Array[] = [];
      encode(out);
      return out;
    }
    if (variant === this.firstVariant) return this.firstFrames!;
    let frames = this.encodings?.get(variant);
    if (frames === undefined) {
      const out: Uint8Array[] = [];
      encode(out);
      frames = out;
      if (this.firstVariant === undefined) {
        this.firstVariant = variant;
        this.firstFrames = frames;
      } else {
        (this.encodings ??= new Map()).set(variant, frames);
      }
    }
    return frames;
  }

  /**
   * The compressed payload for one set of compression parameters, compressed on first use
   * and shared by every connection with the same parameters and no context takeover.
   */
  compressedPayload(key: string, compress: () => Promise<Uint8Array>): Promise<Uint8Array> {
    let payload = this.compressed.get(key);
    if (payload instanceof Uint8Array) return Promise.resolve(payload);
    if (payload === undefined) {
      payload = compress();
      this.compressed.set(key, payload);
      payload.catch(() => this.compressed.delete(key));
    }
    return payload;
  }

  /**
   * The compressed payload for `key` now: cached, or compressed now by `compress` (which
   * returns undefined when it cannot be done synchronously). Undefined while an async
   * compression of it is still running, or when `compress` gave nothing: use
   * compressedPayload().
   */
  compressedPayloadNow(key: string, compress: () => Uint8Array | undefined): Uint8Array | undefined {
    const payload = this.compressed.get(key);
    if (payload !== undefined) return payload instanceof Uint8Array ? payload : undefined;
    const now = compress();
    if (now !== undefined) this.compressed.set(key, now);
    return now;
  }
}

/** Encodes `data` once for sending to many connections. Strings are text unless `binary`. */
export function prepare(data: string | Uint8Array | ArrayBuffer, options: { binary?: boolean } = {}): PreparedMessage {
  return new PreparedMessage(data, options);
}
