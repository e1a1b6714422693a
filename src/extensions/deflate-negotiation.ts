import type { ExtensionOffer } from './extension-header';

/** The extension's name. RFC 7692 §7. */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What one side agreed to: who keeps context, and each direction's LZ77 window (8-15 bits). */
export interface DeflateParams {
  /** The server resets its compressor after every message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after every message. */
  clientNoContextTakeover: boolean;
  /** The server's LZ77 window, 8-15 bits. */
  serverMaxWindowBits: number;
  /** The client's LZ77 window, 8-15 bits. */
  clientMaxWindowBits: number;
}

/** Compression settings of a server, Upgrader or dial. */
export interface CompressionOptions {
  /** zlib level 0-9 for outgoing messages. Default 6. */
  level?: number;
  /** zlib memLevel 1-9 for outgoing messages. Default 5 (16 KiB of hash tables instead of 128 KiB at 8). */
  memLevel?: number;
  /** Messages shorter than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Ask (client) or require (server) that the server resets its compressor per message. */
  serverNoContextTakeover?: boolean;
  /** Ask (client) or require (server) that the client resets its compressor per message. */
  clientNoContextTakeover?: boolean;
  /** The server's compression window, 8-15. Server default 12; a client asks for nothing unless set. */
  serverMaxWindowBits?: number;
  /** The client's compression window, 8-15. Server default 12 (when the client allows it); client default 15. */
  clientMaxWindowBits?: number;
  /** zlib operations running at once across the process. Default 10. */
  concurrency?: number;
}

const FLAGS = new Set(['server_no_context_takeover', 'client_no_context_takeover']);
const WINDOW_PARAMS = new Set(['server_max_window_bits', 'client_max_window_bits']);

/** A window-bits value: 1*DIGIT without leading zeros, 8-15. RFC 7692 §7.1.2. */
function windowBits(value: string | true): number | undefined {
  if (value === true || !/^[1-9][0-9]?$/.test(value)) return undefined;
  const bits = Number(value);
  return bits >= 8 && bits <= 15 ? bits : undefined;
}

/**
 * Reads one permessage-deflate offer or response: every parameter known, none repeated,
 * flags without values, window bits 8-15 (client_max_window_bits may be bare in an offer).
 * Returns the parameters as a map, or undefined when the offer must be declined.
 */
export function readParams(offer: ExtensionOffer, isResponse: boolean): Map<string, number | true> | undefined {
  const params = new Map<string, number | true>();
  for (const [name, value] of offer.params) {
    if (params.has(name)) return undefined;
    if (FLAGS.has(name)) {
      if (value !== true) return undefined;
      params.set(name, true);
    } else if (WINDOW_PARAMS.has(name)) {
      if (value === true && name === 'client_max_window_bits' && !isResponse) { params.set(name, true); continue; }
      const bits = windowBits(value);
      if (bits === undefined) return undefined;
      params.set(name, bits);
    } else {
      return undefined;
    }
  }
  return params;
}

/**
 * The server's side (RFC 7692 §7.1): takes the first acceptable permessage-deflate offer.
 * Returns what was agreed and the response to send, or undefined to decline them all.
 *
 * - server_no_context_takeover / client_no_context_takeover: echoed when offered, added when
 *   our options require them (a server may always add client_no_context_takeover).
 * - server_max_window_bits: the smaller of the offer and ours; ours is added even when not
 *   offered (§7.1.2.1 allows it) so idle memory stays small.
 * - client_max_window_bits: only if offered (§7.1.2.2); bare means the client accepts a limit.
 */
export function acceptOffer(offers: ExtensionOffer[], options: CompressionOptions): { params: DeflateParams; response: ExtensionOffer } | undefined {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const p = readParams(offer, false);
    if (p === undefined) continue;
    const ourServerBits = options.serverMaxWindowBits ?? 12;
    const ourClientBits = options.clientMaxWindowBits ?? 12;
    const params: DeflateParams = {
      serverNoContextTakeover: p.has('server_no_context_takeover') || options.serverNoContextTakeover === true,
      clientNoContextTakeover: p.has('client_no_context_takeover') || options.clientNoContextTakeover === true,
      serverMaxWindowBits: Math.min(typeof p.get('server_max_window_bits') === 'number' ? p.get('server_max_window_bits') as number : 15, ourServerBits),
      clientMaxWindowBits: 15,
    };
    const response: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
    if (params.serverNoContextTakeover) response.params.push(['server_no_context_takeover', true]);
    if (params.clientNoContextTakeover) response.params.push(['client_no_context_takeover', true]);
    if (params.serverMaxWindowBits < 15 || p.has('server_max_window_bits')) {
      response.params.push(['server_max_window_bits', String(params.serverMaxWindowBits)]);
    }
    const clientOffer = p.get('client_max_window_bits');
    if (clientOffer !== undefined) {
      params.clientMaxWindowBits = Math.min(clientOffer === true ? 15 : clientOffer, ourClientBits);
      if (params.clientMaxWindowBits < 15 || clientOffer !== true) {
        response.params.push(['client_max_window_bits', String(params.clientMaxWindowBits)]);
      }
    }
    return { params, response };
  }
  return undefined;
}

/** The client's offer (RFC 7692 §7.1), always saying it accepts a client window limit. */
export function clientOffer(options: CompressionOptions): ExtensionOffer {
  const offer: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
  if (options.serverNoContextTakeover) offer.params.push(['server_no_context_takeover', true]);
  if (options.clientNoContextTakeover) offer.params.push(['client_no_context_takeover', true]);
  if (options.serverMaxWindowBits !== undefined) offer.params.push(['server_max_window_bits', String(options.serverMaxWindowBits)]);
  offer.params.push(['client_max_window_bits', options.clientMaxWindowBits !== undefined ? String(options.clientMaxWindowBits) : true]);
  return offer;
}

/**
 * The client's check of the server's response against what it offered. Returns what was
 * agreed, or a reason to fail the connection (RFC 7692 §7.1: a response the client did not
 * allow is fatal, as with close code 1010).
 */
export function acceptResponse(response: ExtensionOffer, options: CompressionOptions): DeflateParams | string {
  const p = readParams(response, true);
  if (p === undefined) return 'invalid permessage-deflate parameters in the response';
  const serverBits = p.get('server_max_window_bits') as number | undefined;
  if (options.serverMaxWindowBits !== undefined && (serverBits === undefined || serverBits > options.serverMaxWindowBits)) {
    return `server_max_window_bits ${serverBits ?? 'missing'}: asked for at most ${options.serverMaxWindowBits}`;
  }
  if (options.serverNoContextTakeover && !p.has('server_no_context_takeover')) return 'server_no_context_takeover was asked for and not agreed';
  const clientBits = p.get('client_max_window_bits') as number | undefined;
  if (clientBits !== undefined && options.clientMaxWindowBits !== undefined && clientBits > options.clientMaxWindowBits) {
    return `client_max_window_bits ${clientBits} is above the ${options.clientMaxWindowBits} offered`;
  }
  return {
    serverNoContextTakeover: p.has('server_no_context_takeover'),
    clientNoContextTakeover: p.has('client_no_context_takeover') || options.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits ?? 15,
    clientMaxWindowBits: clientBits ?? options.clientMaxWindowBits ?? 15,
  };
}
