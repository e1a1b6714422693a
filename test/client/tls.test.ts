import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { connectProxy, headerEchoServer, selfSignedCert } from '../helpers/handshake-peers';

let cleanup: (() => void)[] = [];
afterEach(() => { for (const c of cleanup.splice(0)) c(); });

describe('wss:// and SNI (RFC 6066 §3)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
  ])('sends no server name for the IP literal %s, and still checks the certificate against it', async (urlHost, listenHost) => {
    const { cert, key } = selfSignedCert();
    const server = await headerEchoServer({ tls: { cert, key }, host: listenHost });
    cleanup.push(() => server.close());
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    cleanup.push(() => process.off('warning', onWarning));
    const conn = await dial(`wss://${urlHost}:${server.port}/`, { tls: { ca: cert } });
    conn.terminate();
    expect(server.servernames).toEqual([false]);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings).not.toContain('DEP0123');
    // The identity check still runs, against the IP.
    const checked: string[] = [];
    await expect(dial(`wss://${urlHost}:${server.port}/`, { tls: { ca: cert, checkServerIdentity: (host) => { checked.push(host); return new Error('identity checked'); } } }))
      .rejects.toThrow('identity checked');
    expect(checked).toEqual([listenHost]);
  });

  it('sends the host name as SNI', async () => {
    const { cert, key } = selfSignedCert();
    const server = await headerEchoServer({ tls: { cert, key } });
    cleanup.push(() => server.close());
    const conn = await dial(`wss://localhost:${server.port}/`, { tls: { ca: cert } });
    conn.terminate();
    expect(server.servernames).toEqual(['localhost']);
  });
});

describe('wss:// and the user\'s TLS callbacks', () => {
  it.each(['target', 'proxy'])('a checkServerIdentity that throws (for the %s) fails the dial with its error, no crash', async (which) => {
    const { cert, key } = selfSignedCert();
    const server = await headerEchoServer({ tls: { cert, key } });
    const proxy = await connectProxy({ tls: { cert, key } });
    cleanup.push(() => { server.close(); proxy.close(); });
    const throwing = { ca: cert, checkServerIdentity: (): Error | undefined => { throw new Error('identity callback failed'); } };
    const options = which === 'target'
      ? { tls: throwing }
      : { tls: { ca: cert }, proxy: `https://127.0.0.1:${proxy.port}`, proxyTls: throwing };
    await expect(dial(`wss://localhost:${server.port}/`, { ...options, handshakeTimeoutMs: 3000 })).rejects.toThrow('identity callback failed');
  });
});
