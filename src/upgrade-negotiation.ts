import type { UpgradeRequest } from './conn/connection';
import { HandshakeError } from './errors';
import { acceptOffer, type CompressionOptions } from './extensions/deflate-negotiation';
import { formatExtension, parseExtensions } from './extensions/extension-header';
import { PerMessageDeflate } from './extensions/permessage-deflate';
import type { AcceptedUpgrade } from './handshake/server';
import { headerValue } from './handshake/tokens';
import type { UpgraderOptions } from './server';

/** What negotiateUpgrade() agreed on, before the response is sent. */
export interface NegotiatedUpgrade {
  accepted: AcceptedUpgrade;
  /** The application's extra response headers. */
  extra: Record<string, string>;
  deflate: ReturnType<typeof acceptOffer>;
  /** The Sec-WebSocket-Extensions response value, or ''. */
  extensions: string;
}

/**
 * An Upgrader's policy over either transport, in one place: `check` (the transport's own
 * rules, then checkUpgradePolicy: origin, subprotocol), the extra headers, permessage-deflate.
 * The application's callbacks (checkOrigin, subprotocols, headers) run here, inside a socket
 * or stream event on serve()'s path: one that throws is a 500, never a crash.
 */
export function negotiateUpgrade(options: UpgraderOptions, request: UpgradeRequest, check: () => AcceptedUpgrade | HandshakeError): NegotiatedUpgrade | HandshakeError {
  try {
    const accepted = check();
    if (accepted instanceof HandshakeError) return accepted;
    const extra = typeof options.headers === 'function' ? options.headers(request) : options.headers ?? {};
    const deflate = negotiateCompression(options, request);
    return { accepted, extra, deflate, extensions: deflate ? formatExtension(deflate.response) : '' };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return new HandshakeError(`the upgrade policy failed: ${detail}`, 500, {}, undefined, { cause: err });
  }
}

/** The compressor of an accepted upgrade, if it agreed to permessage-deflate. */
export function serverDeflate(options: UpgraderOptions, agreed: NegotiatedUpgrade): PerMessageDeflate | undefined {
  return agreed.deflate && new PerMessageDeflate(agreed.deflate.params, 'server', compressionOptions(options));
}

function compressionOptions(options: UpgraderOptions): CompressionOptions {
  return typeof options.compression === 'object' ? options.compression : {};
}

/** The first acceptable permessage-deflate offer; a malformed header declines them all. */
function negotiateCompression(options: UpgraderOptions, request: UpgradeRequest): ReturnType<typeof acceptOffer> {
  if (options.compression === false) return undefined;
  const header = headerValue(request.headers['sec-websocket-extensions']);
  const offers = header === undefined ? undefined : parseExtensions(header);
  return offers === undefined ? undefined : acceptOffer(offers, compressionOptions(options));
}
