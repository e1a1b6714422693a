// wss:// through ws's options: a WebSocketServer on an https server (verifyClient sees
// `secure: true`), and a client that trusts the self-signed certificate through `ca`, or
// refuses it by default. The same on wasmws/ws and ws.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../helpers/handshake-peers';
import { once, ours, real } from './helpers';

const { key, cert } = selfSignedCert();

describe.each([ours, real])('$name over TLS', (impl) => {
  it('connects with ca, refuses an untrusted certificate, and verifyClient sees secure: true', async () => {
    const https: Server = createServer({ key, cert });
    const secure: boolean[] = [];
    const wss = new impl.WebSocketServer({ server: https, verifyClient: (info: { secure: boolean }) => { secure.push(info.secure); return true; } });
    wss.on('connection', (ws: any) => ws.send('over tls'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const url = `wss://localhost:${(https.address() as AddressInfo).port}/`;
    try {
      const untrusted = new impl.WebSocket(url);
      const [err] = await once(untrusted, 'error');
      expect(String(err.message)).toMatch(/self.signed|certificate/i);
      const trusted = new impl.WebSocket(url, { ca: cert });
      const [data] = await once(trusted, 'message');
      expect(data.toString()).toBe('over tls');
      trusted.close();
      await once(trusted, 'close');
      const insecure = new impl.WebSocket(url, { rejectUnauthorized: false });
      await once(insecure, 'open');
      insecure.terminate();
      expect(secure).toEqual([true, true]);
    } finally {
      wss.close();
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
    }
  });
});
