import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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

/** Where a dial's createConnection is asked to connect (one call per attempt, redirects included). */
export interface ConnectTarget {
  /** The URL of this attempt (ws: or wss:). */
  url: URL;
  /** Host name or IP address, without IPv6 brackets. */
  host: string;
  /** TCP port. */
  port: number;
  /** True for wss://: a stream that is not TLS already gets TLS over it, checked against `host`. */
  secure: boolean;
  /** The SNI name dial would send (the host name; undefined for an IP literal). */
  servername: string | undefined;
}

/**
 * A caller's socket factory, in place of dial's TCP connect: it returns the stream (or a
 * promise of it) the handshake runs over; it may still be connecting (writes wait for it).
 */
export type CreateConnection = (target: ConnectTarget) => Socket | Duplex | Promise<Socket | Duplex>;

/**
 * The stream a caller's createConnection made for `target`. A TLS socket (`encrypted`) is
 * used as it is (its certificate checks are the factory's own); any other stream to a
 * wss:// target gets TLS over it here, so a wss:// URL is never spoken in plaintext.
 */
export async function openWith(createConnection: CreateConnection, target: ConnectTarget, tls: ConnectionOptions | undefined, sockets: SocketList): Promise<Socket> {
  const made = await createConnection(target);
  if (made === null || typeof made !== 'object' || typeof (made as Duplex).write !== 'function' || typeof (made as Duplex).on !== 'function') {
    throw new TypeError('createConnection must return a stream (a net.Socket, a tls.TLSSocket or a Duplex), or a promise of one');
  }
  const socket = made as Socket;
  sockets.push(socket);
  if (socket.destroyed) throw new Error('createConnection returned a destroyed stream');
  if (target.secure && (socket as Socket & { encrypted?: boolean }).encrypted !== true) {
    return openTls(socket, target.host, tls, sockets);
  }
  return socket;
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
