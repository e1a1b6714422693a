// ws's option names, and how each maps onto wasmws's own options.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { WebSocketError } from '../errors';
import type { CompressionOptions } from '../extensions/deflate-negotiation';
import type { ConnOptions } from '../options';

/** ws's permessage-deflate object (ws's names; mapped onto wasmws's CompressionOptions). */
export interface PerMessageDeflateOptions {
  /** The server resets its compressor after every message. */
  serverNoContextTakeover?: boolean;
  /** The client resets its compressor after every message. */
  clientNoContextTakeover?: boolean;
  /** The server's LZ77 window, 8-15 (ws's `true` is wasmws's default offer). */
  serverMaxWindowBits?: number;
  /** The client's LZ77 window, 8-15 (ws's `true` is wasmws's default offer). */
  clientMaxWindowBits?: number;
  /** zlib settings for outgoing messages: `level` and `memLevel` are used, other keys ignored. */
  zlibDeflateOptions?: {
    /** zlib compression level (wasmws's `level`). */
    level?: number;
    /** zlib memory level (wasmws's `memLevel`). */
    memLevel?: number;
    [key: string]: unknown;
  };
  /** Accepted and ignored. */
  zlibInflateOptions?: Record<string, unknown>;
  /** Bytes below which a message goes out uncompressed (wasmws's default: 1024). */
  threshold?: number;
  /** zlib jobs running at once in the process (wasmws's `concurrency`). */
  concurrencyLimit?: number;
}

/** What verifyClient is given (ws's `info`). */
export interface VerifyClientInfo {
  /** The `Origin` header, if any: wasmws/ws does no origin check, so decide here. */
  origin: string | undefined;
  /** True when the request came over TLS. */
  secure: boolean;
  /** The upgrade request. */
  req: IncomingMessage;
}

/** ws's verifyClient: synchronous (one argument) or with a callback (two). */
export type VerifyClient =
  | ((info: VerifyClientInfo) => boolean)
  | ((info: VerifyClientInfo, done: (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => void);

/** Options of `new WebSocketServer()`, as ws 8 names them. */
export interface ServerOptions {
  /** Host to listen on (with `port`). */
  host?: string;
  /** Port to listen on: the server makes its own HTTP server. One of `port`, `server`, `noServer`. */
  port?: number;
  /** The listen backlog (with `port`). */
  backlog?: number;
  /** An HTTP(S) server whose `upgrade` events this server takes. */
  server?: HttpServer | HttpsServer;
  /** No HTTP server: the application calls handleUpgrade(). */
  noServer?: boolean;
  /** Only upgrades whose path is this one are taken. */
  path?: string;
  /** Decides whether to accept a client (there is no other origin check). */
  verifyClient?: VerifyClient;
  /** Picks the subprotocol from the client's offers; false for none. Read at each upgrade. */
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  /** Keep a `clients` Set. Default true. */
  clientTracking?: boolean;
  /** Default false (as ws). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest message accepted, in bytes (1009 above it). Default 100 MiB (as ws). */
  maxPayload?: number;
  /** Accepted and ignored: wasmws always validates UTF-8 (fail-fast). */
  skipUTF8Validation?: boolean;
  /** false: pings are not answered automatically ('ping' is still emitted; answer with pong()). Default true. */
  autoPong?: boolean;
  /** Accepted and ignored. */
  allowSynchronousEvents?: boolean;
  /** Not supported: throws when set. */
  WebSocket?: undefined;
}

/** Options of `new WebSocket(address, protocols, options)` (the client), as ws 8 names them. */
export interface ClientOptions extends Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername' | 'ciphers' | 'checkServerIdentity' | 'minVersion' | 'maxVersion'> {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Milliseconds for the whole opening handshake. */
  handshakeTimeout?: number;
  /** Default true (as ws). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest message accepted, in bytes (1009 above it; 0: no limit). Default 100 MiB (as ws). */
  maxPayload?: number;
  /** Follow 3xx redirects (at most `maxRedirects`). Default false. */
  followRedirects?: boolean;
  /** Default 10. */
  maxRedirects?: number;
  /** Sent as the `Origin` header. */
  origin?: string;
  /** 'user:password' for Basic Authorization (node:http's option, which ws passes on); the URL's own credentials likewise. */
  auth?: string;
  /** Only 13 (RFC 6455). */
  protocolVersion?: number;
  /** Accepted and ignored: wasmws always validates UTF-8 (fail-fast). */
  skipUTF8Validation?: boolean;
  /** false: pings are not answered automatically ('ping' is still emitted; answer with pong()). Default true. */
  autoPong?: boolean;
  /** Accepted and ignored. */
  allowSynchronousEvents?: boolean;
  /**
   * A node:http(s) Agent: its createConnection() opens the socket (its own options win over
   * these, as node:http merges them); an https.Agent's socket is TLS already. A WebSocket
   * owns its socket, so keep-alive pooling does not apply. A proxy agent (one that overrides
   * createSocket, as agent-base's do) throws: use createConnection for a tunnel.
   */
  agent?: unknown;
  /**
   * A socket factory, `(options, oncreate?) => socket`, called as ws calls it: with these
   * options plus `host`, `port` and (wss://) `servername`; it returns the stream or hands it
   * to `oncreate(err, socket)`. For wss:// it should return a TLS socket, as under ws; a plain
   * stream gets TLS over it (checked against the URL's host) rather than plaintext. It serves
   * the URL's origin only: a redirect to another origin is refused, where ws would reuse the
   * factory (and what it binds, a client certificate or a tunnel's credentials) for any host.
   */
  createConnection?: unknown;
  /** Not supported: throws when set. */
  finishRequest?: unknown;
}

/** ws's default maxPayload: 100 MiB. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/** A clear error for something ws offers that this façade does not. */
export function unsupported(what: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', `wasmws/ws: ${what} is not supported`);
}

/** ws's perMessageDeflate value as wasmws's `compression`. */
export function toCompression(value: boolean | PerMessageDeflateOptions | undefined, fallback: boolean): false | CompressionOptions {
  const enabled = value ?? fallback;
  if (enabled === false) return false;
  if (enabled === true) return {};
  const result: CompressionOptions = {};
  if (enabled.threshold !== undefined) result.threshold = enabled.threshold;
  if (enabled.serverNoContextTakeover !== undefined) result.serverNoContextTakeover = enabled.serverNoContextTakeover;
  if (enabled.clientNoContextTakeover !== undefined) result.clientNoContextTakeover = enabled.clientNoContextTakeover;
  // ws takes `true` for "offer the parameter with no value": wasmws's default offer already does.
  if (typeof enabled.serverMaxWindowBits === 'number') result.serverMaxWindowBits = enabled.serverMaxWindowBits;
  if (typeof enabled.clientMaxWindowBits === 'number') result.clientMaxWindowBits = enabled.clientMaxWindowBits;
  if (enabled.zlibDeflateOptions?.level !== undefined) result.level = enabled.zlibDeflateOptions.level;
  if (enabled.zlibDeflateOptions?.memLevel !== undefined) result.memLevel = enabled.zlibDeflateOptions.memLevel;
  if (enabled.concurrencyLimit !== undefined) result.concurrency = enabled.concurrencyLimit;
  return result;
}

/**
 * The Conn options that make a connection behave as a ws socket: ws has no keepalive of its
 * own (applications ping), buffers sends without bound, and caps messages at maxPayload.
 */
export function toConnOptions(maxPayload: number | undefined): ConnOptions {
  // As ws: 0 means no limit.
  const maxMessageBytes = maxPayload === undefined ? DEFAULT_MAX_PAYLOAD : maxPayload > 0 ? maxPayload : Number.MAX_SAFE_INTEGER;
  return {
    maxMessageBytes,
    pingIntervalMs: 0,
    maxBufferedBytes: Number.MAX_SAFE_INTEGER,
  };
}

/** TLS options of a client, as node:tls takes them. */
export function toTlsOptions(options: ClientOptions): ConnectionOptions {
  const keys = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'ciphers', 'checkServerIdentity', 'minVersion', 'maxVersion'] as const;
  const tls: Record<string, unknown> = {};
  for (const key of keys) if (options[key] !== undefined) tls[key] = options[key];
  return tls as ConnectionOptions;
}
