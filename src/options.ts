import type { CodecKind } from './codec/select';
import { Defaults } from './protocol/limits';

/** What a connection does when `bufferedAmount` would pass `maxBufferedBytes`. */
export type BufferFullPolicy = 'reject' | 'close';

/** Options every connection takes, on either end. Units are in the names. */
export interface ConnOptions {
  /** Which frame codec to use. Default 'auto'. */
  codec?: CodecKind;
  /** Largest message accepted; larger ones close with 1009. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Most frames one message may span. Default 131,072. */
  maxFragments?: number;
  /** Largest frame sent before a message is fragmented. Default: never fragment. */
  maxFrameBytes?: number;
  /**
   * Received bytes held for the application (unread messages) before the socket is paused.
   * Reading resumes when the application catches up. Default 16 MiB.
   */
  maxReadBufferBytes?: number;
  /** Bytes waiting to be written before `bufferFullPolicy` applies. Default 64 MiB. */
  maxBufferedBytes?: number;
  /** 'reject' (send throws WS_ERR_BUFFER_FULL) or 'close' (close with 1008). Default 'reject'. */
  bufferFullPolicy?: BufferFullPolicy;
  /** Send a ping this often; 0 = never. Default: 30 s on the server, 0 on the client. */
  pingIntervalMs?: number;
  /**
   * How long a ping waits for its pong. A keepalive ping unanswered that long (nothing at all
   * received) drops the connection; a `conn.ping()` rejects with a TimeoutError and the
   * connection stays. 0 = no deadline. Default 30 s.
   */
  pongTimeoutMs?: number;
  /** Close with 1001 after this long without receiving anything; 0 = never. Default 0. */
  idleTimeoutMs?: number;
  /** How long close() waits for the peer's close frame and the TCP close. Default 10 s. */
  closeTimeoutMs?: number;
  /**
   * Answer every ping with a pong (RFC 6455 §5.5.2). false: pings are only reported to
   * onPing, and the application answers with `pong()` itself. Default true.
   */
  autoPong?: boolean;
}

/** ConnOptions with every default filled in. */
export type ResolvedConnOptions = Required<ConnOptions>;

/** Objects resolveConnOptions made: passing one back returns it as it is. */
const resolved = new WeakSet<object>();

/**
 * Fills in the defaults for `role`. A server resolves its options once and hands the same
 * object to every connection, so connections share it instead of each holding a copy.
 */
export function resolveConnOptions(options: ConnOptions, role: 'server' | 'client'): ResolvedConnOptions {
  if (resolved.has(options)) return options as ResolvedConnOptions;
  const result: ResolvedConnOptions = {
    codec: options.codec ?? 'auto',
    maxMessageBytes: options.maxMessageBytes ?? Defaults.maxMessageBytes,
    maxFragments: options.maxFragments ?? Defaults.maxFragments,
    maxFrameBytes: options.maxFrameBytes ?? Defaults.maxFrameBytes,
    maxReadBufferBytes: options.maxReadBufferBytes ?? 16 * 1024 * 1024,
    maxBufferedBytes: options.maxBufferedBytes ?? 64 * 1024 * 1024,
    bufferFullPolicy: options.bufferFullPolicy ?? 'reject',
    pingIntervalMs: options.pingIntervalMs ?? (role === 'server' ? 30_000 : 0),
    pongTimeoutMs: options.pongTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    autoPong: options.autoPong ?? true,
  };
  resolved.add(result);
  return result;
}
