/**
 * A listen() failure as one line a person can act on, instead of Node's internal message
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOTFOUND for a host that does not resolve).
 */
export function listenProblem(err: unknown, host: string, port: number): Error {
  const code = (err as { code?: string } | null)?.code;
  const why = code === 'EADDRINUSE' ? 'the port is in use'
    : code === 'EACCES' ? 'permission denied (ports under 1024 need privileges)'
      : code === 'EADDRNOTAVAIL' ? 'that address is not on this machine'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host does not resolve'
          : err instanceof Error ? err.message : String(err);
  return new Error(`cannot listen on ${host}:${port}: ${why}`);
}
