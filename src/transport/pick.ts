import { bunConnect, bunListen } from './bun-socket';
import { denoConnect, denoListen } from './deno-socket';
import type { NativeSocket } from './native-socket';

/**
 * Which sockets serve() and dial() use for plain TCP: `'native'` (the default) takes the
 * runtime's own where it has them (Bun.listen/Bun.connect on Bun, Deno.listen/Deno.connect
 * on Deno) and node:net on Node; `'node'` takes node:net everywhere.
 */
export type Transport = 'node' | 'native';

interface NativeTransport {
  listen(host: string, port: number, onSocket: (socket: NativeSocket) => void): { address: { address: string; port: number }; stop(): void };
  connect(host: string, port: number): Promise<NativeSocket>;
}

const BUN: NativeTransport = { listen: bunListen, connect: bunConnect };
const DENO: NativeTransport = { listen: denoListen, connect: denoConnect };

/** The runtime's own sockets, or undefined: node:net is to be used (on Node, or when asked for). */
export function nativeTransport(choice: Transport | undefined): NativeTransport | undefined {
  if (choice === 'node') return undefined;
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return BUN;
  if (g.Deno !== undefined) return DENO;
  return undefined;
}
