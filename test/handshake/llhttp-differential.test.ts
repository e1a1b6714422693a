import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/errors';
import { HttpHeadParser } from '../../src/handshake/http-head';
import { checkUpgradeRequest } from '../../src/handshake/server';
import { mutate, prng, sameFields } from '../helpers/http-mutations';

/**
 * Differential test of the request-head parser against Node's own (llhttp), fed the same
 * bytes through a real node:http server on loopback: whatever wasmws would upgrade, llhttp
 * must accept too, with the same method, target and header fields. Seeded, bounded.
 */

const CASES = Number(process.env.FUZZ_CASES ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_1234);

const SEEDS = [
  'GET /chat HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'GET /chat?room=1 HTTP/1.1\r\nHost: a.example:8080\r\nOrigin: http://a.example:8080\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fuzz/1.0\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\nCookie: a=1; b=2\r\nContent-Length: 0\r\n\r\n',
];

/** What a parser made of a head: method, target and the fields in order, or null when refused. */
type Reading = { method: string; url: string; fields: [string, string][] } | null;

/** wasmws's verdict: parsed and accepted for upgrade (same-origin policy, default options). */
function wasmwsReading(bytes: Uint8Array): Reading {
  let head;
  try {
    head = new HttpHeadParser(16 * 1024, 'request').push(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(HandshakeError); // refusals are typed, never a crash
    return null;
  }
  if (head === undefined) return null;
  const [method, url, version] = head.startLine;
  const accepted = checkUpgradeRequest({ method, url, headers: head.headers }, version.slice(5), {});
  if (accepted instanceof HandshakeError) return null;
  const fields: [string, string][] = [];
  for (const [name, value] of Object.entries(head.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) fields.push([name, v]);
  }
  return { method, url, fields };
}

function nodeReading(req: IncomingMessage): Reading {
  const fields: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) fields.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
  return { method: req.method ?? '', url: req.url ?? '', fields };
}

describe('request-head parser vs llhttp (node:http), differential', () => {
  const server = createServer();
  let port = 0;
  /** Pending cases by the client's local port, which the server sees as the remote port. */
  const pending = new Map<number, (reading: Reading | 'refused' | 'none') => void>();
  const settle = (socket: Socket, reading: Reading | 'refused' | 'none') => pending.get(socket.remotePort ?? -1)?.(reading);

  beforeAll(async () => {
    server.on('upgrade', (req, socket: Socket) => { settle(socket, nodeReading(req)); socket.destroy(); });
    server.on('request', (req, res) => { settle(req.socket, nodeReading(req)); res.destroy(); });
    server.on('clientError', (_err, socket: Socket) => { settle(socket, 'refused'); socket.destroy(); });
    server.on('connection', (socket: Socket) => {
      const remote = socket.remotePort ?? -1;
      socket.on('close', () => setImmediate(() => pending.get(remote)?.('none')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** llhttp's reading of `bytes`: the request node:http saw, 'refused' (clientError), or 'none'. */
  function llhttpReading(bytes: Uint8Array): Promise<Reading | 'refused' | 'none'> {
    return new Promise((resolve) => {
      const client = connect(port, '127.0.0.1', () => {
        const local = client.localPort!;
        const timer = setTimeout(() => finish('none'), 2000);
        const finish = (reading: Reading | 'refused' | 'none') => {
          pending.delete(local);
          clearTimeout(timer);
          client.destroy();
          resolve(reading);
        };
        pending.set(local, finish);
        client.end(bytes);
      });
      client.on('error', () => {});
      client.on('data', () => {});
    });
  }

  it(`upgrades nothing llhttp refuses, and reads the same fields (${CASES} seeded mutations)`, async () => {
    const random = prng(SEED);
    const disagreements: string[] = [];
    let upgraded = 0;
    for (let i = 0; i < CASES; i++) {
      const bytes = mutate(SEEDS[i % SEEDS.length], random);
      const ours = wasmwsReading(bytes);
      if (ours === null) continue; // refusing more than llhttp is allowed
      upgraded++;
      const theirs = await llhttpReading(bytes);
      const text = JSON.stringify(String.fromCharCode(...bytes));
      if (theirs === null || theirs === 'refused' || theirs === 'none') disagreements.push(`llhttp ${theirs}: ${text}`);
      else if (theirs.method !== ours.method || theirs.url !== ours.url || !sameFields(theirs.fields, ours.fields)) {
        disagreements.push(`read differently: ${text}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(upgraded).toBeGreaterThan(CASES / 10); // the mutations leave many requests valid: the comparison is exercised
  }, 60_000);

  it('agrees on the seeds themselves', async () => {
    for (const seed of SEEDS) {
      const bytes = Uint8Array.from(seed, (c) => c.charCodeAt(0));
      expect(wasmwsReading(bytes)).not.toBeNull();
      expect(await llhttpReading(bytes)).toMatchObject({ method: 'GET' });
    }
  });
});
