import { Buffer } from 'node:buffer';
import process from 'node:process';

/**
 * Which proxy, if any, a connection to `target` goes through. `proxy: 'env'` reads
 * HTTPS_PROXY for wss:// and HTTP_PROXY for ws:// (either case), honouring NO_PROXY
 * (comma-separated hosts or domain suffixes, optional :port, '*' for all).
 */
export function proxyFor(target: URL, proxy: string | false | undefined, env: Record<string, string | undefined> = process.env): URL | undefined {
  if (!proxy) return undefined;
  if (proxy !== 'env') return new URL(proxy);
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const value = secure ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!value) return undefined;
  if (isExcluded(target, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return new URL(value);
}

function isExcluded(target: URL, noProxy: string): boolean {
  const host = target.hostname.toLowerCase();
  const port = target.port || (target.protocol === 'wss:' || target.protocol === 'https:' ? '443' : '80');
  return noProxy.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean).some((entry) => {
    if (entry === '*') return true;
    const [name, entryPort] = entry.split(':');
    if (entryPort && entryPort !== port) return false;
    const suffix = name.replace(/^\*?\./, '');
    return host === suffix || host.endsWith(`.${suffix}`);
  });
}

/** The CONNECT request that opens a tunnel to host:port, with Basic auth from the proxy URL's credentials. */
export function connectRequest(proxy: URL, host: string, port: number): string {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.username || proxy.password) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
