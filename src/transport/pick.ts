import { bunConnect, bunListen } from './bun-socket';
import { denoConnect, denoListen } from './deno-socket';
import type { NativeSocket } from './native-socket';

/**
 * Which sockets serve() and dial() use for plain TCP. `'native'`: the runtime's own where it
 * has them (Bun.listen/Bun.connect on Bun, Deno.listen/Deno.connect on Deno; node:net on
 * Node). `'node'`: node:net everywhere. `'auto'` (the default): whichever measured faster in
 * bench:e2e, native on Bun and node:net on Deno and Node (docs/runtimes.md).
 */
export type Transport = 'auto' | 'node' | 'native';

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
  // Deno's node:net measured faster than Deno.listen/Deno.connect for 64 KiB and 1 MiB echoes.
  if (g.Deno !== undefined && choice === 'native') return DENO;
  return undefined;
}
