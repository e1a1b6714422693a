import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { HandshakeError } from '../errors';
import { flatten } from './client';
import { exchangeHead, readBody } from './exchange';
import { connectRequest, type ProxyTarget } from './proxy';

/** Every socket a dial opened, so that a failed or interrupted dial destroys them all. */
export type SocketList = Socket[];

/** A TCP connection to host:port. */
export function openTcp(host: string, port: number, sockets: SocketList): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    sockets.push(socket);
    socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

/**
 * TLS over `socket` to `host`, its certificate checked against `host`. The host name goes
 * out as SNI; an IP literal does not (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not
 * permitted in HostName"), unless the caller's own `servername` says otherwise.
 */
export function openTls(socket: Socket, host: string, tls: ConnectionOptions | undefined, sockets: SocketList): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const servername = tls?.servername ?? (isIP(host) ? undefined : host);
    const checkServerIdentity = guardIdentityCheck(tls?.checkServerIdentity);
    const secure = tlsConnect({ ALPNProtocols: ['http/1.1'], ...tls, host, servername, socket, ...(checkServerIdentity && { checkServerIdentity }) });
    sockets.push(secure);
    secure.once('secureConnect', () => { secure.off('error', reject); resolve(secure); });
    secure.once('error', reject);
  });
}

/**
 * A user's checkServerIdentity that throws would throw out of node:tls's own event handler
 * (an uncaught exception, and a dial that never settles): its throw becomes the returned
 * Error, which fails the connection as a refusal does.
 */
function guardIdentityCheck(check: ConnectionOptions['checkServerIdentity']): ConnectionOptions['checkServerIdentity'] {
  if (!check) return undefined;
  return (hostname, cert) => {
    try {
      return check(hostname, cert);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
}

/**
 * A CONNECT tunnel to host:port through `proxy` (over TLS to an https: proxy, with
 * `proxyTls`). Any 2xx opens the tunnel (RFC 9110 §9.3.6); bytes that came after the
 * proxy's answer belong to the tunnel and are put back on the socket.
 */
export async function openTunnel(proxy: ProxyTarget, host: string, port: number, proxyTls: ConnectionOptions | undefined, maxHeadBytes: number | undefined, sockets: SocketList): Promise<Socket> {
  let socket = await openTcp(proxy.host, proxy.port, sockets);
  if (proxy.secure) socket = await openTls(socket, proxy.host, proxyTls, sockets);
  const answer = await exchangeHead(socket, connectRequest(proxy.url, host, port), maxHeadBytes);
  const status = Number(answer.startLine[1]);
  if (status < 200 || status > 299) {
    const body = await readBody(socket, answer);
    throw new HandshakeError(`proxy refused CONNECT: ${status} ${answer.startLine[2]}`.trim(), status, flatten(answer.headers), body);
  }
  if (answer.rest.length > 0) socket.unshift(answer.rest);
  return socket;
}
