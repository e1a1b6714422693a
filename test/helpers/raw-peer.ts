import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { js } from '../../src/codec/js/index';
import { acceptKeyFor } from '../../src/handshake/accept-key';
import { FrameReader, type Role } from '../../src/frame/reader';
import type { ProtocolError } from '../../src/errors';

/** A frame as the raw peer saw it on the wire. */
export interface WireFrame {
  opcode: number;
  payload: Uint8Array;
  /** RSV1 was set on the message's first frame (permessage-deflate). */
  compressed?: boolean;
}

/**
 * A test peer on a raw TCP socket: writes exact bytes (optionally one byte per write) and
 * decodes what comes back with the js reader, so tests see frames and close codes as sent.
 */
export class RawPeer {
  readonly frames: WireFrame[] = [];
  readonly errors: ProtocolError[] = [];
  /** Frames on the wire (data fragments counted one by one). */
  wireFrames = 0;
  ended = false;
  private waiters: (() => void)[] = [];
  private readonly reader: FrameReader;

  constructor(readonly socket: Socket, role: Role, head: Uint8Array = new Uint8Array(0), allowRsv1 = false) {
    this.reader = new FrameReader({ role, codec: js, maxMessageBytes: 2 ** 31, allowRsv1 }, {
      onMessage: (opcode, data, compressed) => this.add({ opcode, payload: data.slice(), compressed }),
      onControl: (opcode, payload) => this.add({ opcode, payload: payload.slice() }),
      onError: (error) => { this.errors.push(error); this.notify(); },
    });
    socket.on('data', (chunk: Uint8Array) => { this.count(chunk); this.reader.push(new Uint8Array(chunk)); });
    socket.on('close', () => { this.ended = true; this.notify(); });
    socket.on('error', () => {});
    if (head.length > 0) { this.count(head); this.reader.push(head); }
  }

  private countPending = new Uint8Array(0);
  private countSkip = 0;

  /** Counts frame headers with a second, parse-only pass over the raw bytes. */
  private count(chunk: Uint8Array): void {
    const h = { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
    const joined = new Uint8Array(this.countPending.length + chunk.length);
    joined.set(this.countPending);
    joined.set(chunk, this.countPending.length);
    let at = Math.min(this.countSkip, joined.length);
    this.countSkip -= at;
    while (this.countSkip === 0) {
      const used = js.parseHeader(joined, at, joined.length, h);
      if (used <= 0) break;
      this.wireFrames++;
      const end = at + used + h.payloadLength;
      if (end > joined.length) { this.countSkip = end - joined.length; at = joined.length; break; }
      at = end;
    }
    this.countPending = joined.slice(at);
  }

  /** Writes bytes whole, or one byte per write (each its own TCP segment with nodelay). */
  async send(bytes: Uint8Array, byteByByte = false): Promise<void> {
    if (!byteByByte) {
      this.socket.write(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i++) {
      this.socket.write(bytes.subarray(i, i + 1));
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
  }

  /** Waits until `count` frames have arrived (or the socket closed), at most `timeoutMs`. */
  async waitFrames(count: number, timeoutMs = 5000): Promise<WireFrame[]> {
    await this.waitFor(() => this.frames.length >= count || this.ended, timeoutMs);
    return this.frames;
  }

  /** Waits for the TCP connection to close. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.ended, timeoutMs);
  }

  /** The close frame received, as [code, reason]; code 1005 for an empty payload. */
  closeFrame(): [number, string] | undefined {
    const frame = this.frames.find((f) => f.opcode === 8);
    if (!frame) return undefined;
    if (frame.payload.length < 2) return [1005, ''];
    return [(frame.payload[0] << 8) | frame.payload[1], new TextDecoder().decode(frame.payload.subarray(2))];
  }

  private async waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames so far: ${JSON.stringify(this.frames.map((f) => f.opcode))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  private add(frame: WireFrame): void {
    this.frames.push(frame);
    this.notify();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Reads one HTTP head from a socket; returns it and the bytes after it (the socket left paused). */
export function readHead(socket: Socket): Promise<{ head: string; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      resolve({ head: buf.subarray(0, end).toString('latin1'), rest: new Uint8Array(buf.subarray(end + 4)) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** Connects to a WebSocket server as a raw client peer (it must mask what it sends). */
export async function rawClient(port: number, extraHeaders = '', allowRsv1 = false): Promise<{ peer: RawPeer; response: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`);
  const { head, rest } = await readHead(socket);
  const peer = new RawPeer(socket, 'client', rest, allowRsv1);
  socket.resume();
  return { peer, response: head };
}

/**
 * A raw server peer: accepts one handshake per connection and hands each RawPeer to `onPeer`.
 * With `extensions`, the 101 agrees to them (Sec-WebSocket-Extensions) and RSV1 is allowed.
 */
export async function rawServer(onPeer: (peer: RawPeer, request: string) => void | Promise<void>, extensions?: string): Promise<{ server: Server; port: number }> {
  const server = createServer(async (socket) => {
    socket.setNoDelay(true);
    const { head, rest } = await readHead(socket);
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n${extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : ''}\r\n`);
    const peer = new RawPeer(socket, 'server', rest, extensions !== undefined);
    socket.resume();
    await onPeer(peer, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
