import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/errors';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { checkResponse } from '../../src/handshake/client';
import { HttpHeadParser } from '../../src/handshake/http-head';
import { mutate, prng, sameFields, TRICKY_LINES } from '../helpers/http-mutations';

/**
 * The client's side of the differential test: mutated responses, read by wasmws's response
 * parser and by node:http's client (llhttp) from the same raw server. Whatever wasmws reads
 * (a 101 it accepts, or a 3xx whose Location it would follow), llhttp must read the same.
 */

const CASES = Number(process.env.FUZZ_CASES ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x0dd_ba11);
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

const SEEDS = [
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(KEY)}\r\n\r\n`,
  `HTTP/1.1 101 Switching Protocols\r\nServer: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(KEY)}\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n`,
  'HTTP/1.1 302 Found\r\nLocation: ws://other.example/next\r\nContent-Length: 0\r\n\r\n',
];
const RESPONSE_LINES = [...TRICKY_LINES, 'Location: ws://evil.example/', 'Sec-WebSocket-Accept: AAAA', 'Set-Cookie: a=1'];

type Reading = { status: number; fields: [string, string][] } | null;

/** wasmws's reading: a 101 checkResponse accepts, or any other status with its headers; null when refused. */
function wasmwsReading(bytes: Uint8Array): Reading {
  let head;
  try {
    head = new HttpHeadParser(16 * 1024, 'response').push(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(HandshakeError);
    return null;
  }
  if (head === undefined) return null;
  const status = Number(head.startLine[1]);
  if (status === 101) {
    const accepted = checkResponse(head, { path: '/', host: 'h', key: KEY, subprotocols: [], headers: {} }, ['permessage-deflate']);
    if (accepted instanceof HandshakeError) return null;
  }
  const fields: [string, string][] = [];
  for (const [name, value] of Object.entries(head.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) fields.push([name, v]);
  }
  return { status, fields };
}

function nodeReading(res: IncomingMessage): Reading {
  const fields: [string, string][] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) fields.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
  return { status: res.statusCode ?? 0, fields };
}

describe('response-head parser vs llhttp (node:http client), differential', () => {
  let current: Uint8Array = new Uint8Array(0);
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    // Answers each request with the case under test (cases run one at a time).
    server = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end(current));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function llhttpReading(bytes: Uint8Array): Promise<Reading | string> {
    current = bytes;
    return new Promise((resolve) => {
      let done = false;
      const finish = (reading: Reading | string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve(reading);
      };
      const timer = setTimeout(() => finish('none'), 2000);
      const req = httpRequest({ port, host: '127.0.0.1', agent: false, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
      req.on('upgrade', (res, socket) => { socket.destroy(); finish(nodeReading(res)); });
      req.on('response', (res) => { res.resume(); finish(nodeReading(res)); });
      req.on('error', (err: NodeJS.ErrnoException) => finish(`refused (${err.code})`));
      req.on('close', () => setImmediate(() => finish('none')));
      req.end();
    });
  }

  it(`reads nothing llhttp refuses, and the same status and fields (${CASES} seeded mutations)`, async () => {
    const random = prng(SEED);
    const disagreements: string[] = [];
    let read = 0;
    for (let i = 0; i < CASES; i++) {
      const bytes = mutate(SEEDS[i % SEEDS.length], random, RESPONSE_LINES);
      const ours = wasmwsReading(bytes);
      if (ours === null) continue;
      read++;
      const theirs = await llhttpReading(bytes);
      const text = JSON.stringify(String.fromCharCode(...bytes));
      if (theirs === null || typeof theirs === 'string') disagreements.push(`llhttp ${theirs}: ${text}`);
      else if (theirs.status !== ours.status || !sameFields(theirs.fields, ours.fields)) disagreements.push(`read differently: ${text}`);
    }
    expect(disagreements).toEqual([]);
    expect(read).toBeGreaterThan(CASES / 10);
  }, 60_000);
});
