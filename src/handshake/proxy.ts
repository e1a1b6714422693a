import { Buffer } from 'node:buffer';
import process from 'node:process';
import { WebSocketError } from '../errors';

/** A proxy to open a CONNECT tunnel through. */
export interface ProxyTarget {
  url: URL;
  /** https: proxies are spoken to over TLS; http: ones in the clear. */
  secure: boolean;
  /** Host name or IP literal (no brackets). */
  host: string;
  port: number;
}

/**
 * Which proxy, if any, a connection to `target` goes through. `proxy: 'env'` reads
 * HTTPS_PROXY for wss:// and HTTP_PROXY for ws:// (either case), honouring NO_PROXY
 * (comma-separated hosts or domain suffixes, optional :port, '*' for all); a value with no
 * scheme is http://, as curl reads it. Only http: and https: proxies are spoken: any other
 * scheme (socks5:, ...) throws WS_ERR_INVALID_ARGUMENT rather than be spoken to in HTTP.
 */
export function proxyFor(target: URL, proxy: string | false | undefined, env: Record<string, string | undefined> = process.env): ProxyTarget | undefined {
  if (!proxy) return undefined;
  if (proxy !== 'env') return parseProxy(proxy);
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const value = secure ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!value) return undefined;
  if (isExcluded(target, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return parseProxy(value.includes('://') ? value : `http://${value}`);
}

function parseProxy(value: string): ProxyTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `proxy ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `proxy scheme ${url.protocol} is not supported (use http: or https:)`);
  }
  const secure = url.protocol === 'https:';
  return { url, secure, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (secure ? 443 : 80)) };
}

function isExcluded(target: URL, noProxy: string): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = target.port || (target.protocol === 'wss:' || target.protocol === 'https:' ? '443' : '80');
  return noProxy.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean).some((entry) => {
    if (entry === '*') return true;
    const [name, entryPort] = splitHostPort(entry);
    if (entryPort && entryPort !== port) return false;
    const suffix = name.replace(/^\*?\./, '');
    return host === suffix || host.endsWith(`.${suffix}`);
  });
}

/** "host", "host:port", "[v6]:port" or a bare IPv6 literal, as NO_PROXY entries are written. */
function splitHostPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return [bracketed[1], bracketed[2]];
  const colon = entry.indexOf(':');
  if (colon < 0 || entry.indexOf(':', colon + 1) >= 0) return [entry, undefined];
  return [entry.slice(0, colon), entry.slice(colon + 1)];
}

/** The CONNECT request that opens a tunnel to host:port, with Basic auth from the proxy URL's credentials. RFC 9110 §9.3.6. */
export function connectRequest(proxy: URL, host: string, port: number): string {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.username || proxy.password) {
    const credentials = `${percentDecoded(proxy.username)}:${percentDecoded(proxy.password)}`;
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A URL's userinfo part decoded; a malformed %-sequence is kept as written rather than thrown. */
function percentDecoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
