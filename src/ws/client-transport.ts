// ws's `agent` and `createConnection` client options as a dial() socket factory, and the
// request object a 'redirect' listener is handed.
import { Agent as HttpAgent } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CreateConnection } from '../handshake/transport';
import { toTlsOptions, unsupported, type ClientOptions } from './options';

/** node:http's createConnection shape: returns the stream, or hands it (or an error) to `oncreate`. */
type NodeCreateConnection = (options: Record<string, unknown>, oncreate: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined | void;

/**
 * The socket factory ws's `agent` or `createConnection` stand for, or undefined for dial's
 * own. As node:http does, an agent wins over createConnection, and the agent's own options
 * win over the request's. An agent that makes its sockets itself (a proxy agent: it
 * overrides createSocket) cannot be driven without an HTTP request: it is refused, rather
 * than connected around (that would bypass the proxy it stands for).
 */
export function connectionFactory(options: ClientOptions): CreateConnection | undefined {
  const { agent, createConnection } = options;
  if (agent !== undefined && agent !== null && (agent as unknown) !== false) {
    const candidate = agent as HttpAgent & { options?: Record<string, unknown>; createSocket?: unknown };
    const ownSockets = (HttpAgent.prototype as { createSocket?: unknown }).createSocket; // undocumented, present since node 0.x
    if (typeof candidate.createConnection !== 'function' || candidate.createSocket !== ownSockets) {
      throw unsupported('an agent that makes its own sockets (a proxy agent; pass createConnection instead)');
    }
    return fromNode((opts, oncreate) => candidate.createConnection(opts, oncreate as never) as Duplex | undefined, options, candidate.options);
  }
  if (createConnection === undefined || createConnection === null) return undefined;
  if (typeof createConnection !== 'function') throw new TypeError('createConnection must be a function');
  return fromNode(createConnection as NodeCreateConnection, options, undefined);
}

/** A node-style factory (ws calls it with its request options) as dial's. */
function fromNode(create: NodeCreateConnection, options: ClientOptions, agentOptions: Record<string, unknown> | undefined): CreateConnection {
  return (target) => new Promise<Socket | Duplex>((resolve, reject) => {
    const opts: Record<string, unknown> = {
      ...toTlsOptions(options), ...agentOptions,
      host: target.host, port: target.port, headers: { ...options.headers },
      // An agent is given the SNI name node:http's Agent would compute; a bare factory only the
      // user's (ws computes it in its own tlsConnect, which a factory replaces).
      ...(target.secure && agentOptions && { servername: options.servername ?? agentOptions.servername ?? target.servername ?? '' }),
    };
    let settled = false;
    const oncreate = (err: Error | null, socket?: Duplex) => {
      if (settled) return; // net.createConnection calls its second argument on connect, with no arguments
      if (err) { settled = true; reject(err); } else if (socket) { settled = true; resolve(socket); }
    };
    const made = create(opts, oncreate);
    if (made) oncreate(null, made);
  });
}

/**
 * The `req` of ws's 'redirect(url, req)': the next request, not sent yet. Its headers are
 * the ones dial will send (credentials already dropped if the origin changed); setHeader()
 * and removeHeader() change them; destroy(err) or abort() stop the handshake.
 */
export function redirectRequest(headers: Record<string, string>) {
  const find = (name: string) => Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase());
  const req = {
    destroyed: undefined as Error | undefined,
    getHeader: (name: string) => { const key = find(name); return key === undefined ? undefined : headers[key]; },
    getHeaders: () => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    hasHeader: (name: string) => find(name) !== undefined,
    setHeader(name: string, value: string | number) {
      const key = find(name);
      if (key !== undefined) delete headers[key];
      headers[name] = String(value);
      return req;
    },
    removeHeader(name: string) { const key = find(name); if (key !== undefined) delete headers[key]; },
    destroy(err?: Error) { req.destroyed = err ?? new Error('the redirect was cancelled (req.destroy())'); return req; },
    abort() { req.destroy(); },
  };
  return req;
}
