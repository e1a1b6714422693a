import { describe, expect, it } from 'vitest';
import WebSocketClient from 'ws';
import { OP_CLOSE, OP_TEXT } from '../../src/codec/constants';
import { serve } from '../../src/server';
import { clientFrame } from '../helpers/frames';
import { rawClient } from '../helpers/raw-peer';
import { concat } from '../helpers/reader';

/** An echo server: each message back at once, as its handler reads it. */
const echoServer = (compression: boolean) => serve({ port: 0, compression: compression ? {} : false, onHandlerError: () => {} }, async (conn) => {
  for await (const m of conn) await conn.send(m.type === 'text' ? m.text() : m.data);
});

describe.each([false, true])('replies to messages that came with the Close go out before the echo (compression %s)', (compression) => {
  it('a raw peer writing [text][Close] in one write gets the echo, then the Close', async () => {
    const server = await echoServer(compression);
    try {
      const { peer } = await rawClient(server.address().port, compression ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '', compression);
      peer.socket.write(concat([clientFrame(OP_TEXT, 'hi'), clientFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8]))]));
      await peer.waitClosed();
      expect(peer.frames.map((f) => f.opcode)).toEqual([OP_TEXT, OP_CLOSE]);
      expect(new TextDecoder().decode(peer.frames[0].payload)).toBe('hi');
      expect(peer.closeFrame()).toEqual([1000, '']);
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  });

  it('the ws client doing send(); close() gets its echo', async () => {
    const server = await echoServer(compression);
    try {
      const ws = new WebSocketClient(`ws://127.0.0.1:${server.address().port}/`, { perMessageDeflate: compression });
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const got: string[] = [];
      ws.on('message', (data) => got.push(String(data)));
      ws.send('hello');
      ws.close(1000);
      const code = await new Promise<number>((resolve) => ws.once('close', resolve));
      expect(got).toEqual(['hello']);
      expect(code).toBe(1000);
    } finally {
      await server.close({ timeoutMs: 200 });
    }
  });
});
