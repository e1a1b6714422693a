import { describe, expect, it } from 'vitest';
import { dial } from '../../src/client';
import { serve } from '../../src/server';

describe('WebSocketServer.close()', () => {
  it.each([
    ['a 200-byte reason', { reason: 'x'.repeat(200) }],
    ['code 1005', { code: 1005 }],
    ['code 2000', { code: 2000 }],
  ])('rejects %s at once and changes nothing: the server still accepts, its connections stay open', async (_name, options) => {
    const server = await serve({ port: 0 }, () => {});
    const url = `ws://127.0.0.1:${server.address().port}/`;
    const first = await dial(url);
    try {
      await expect(server.close({ ...options, timeoutMs: 200 })).rejects.toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
      const second = await dial(url);
      expect(first.readyState).toBe('open');
      expect(server.connections.size).toBe(2);
      await server.close({ timeoutMs: 1000 });
      expect((await first.closed).code).toBe(1001);
      expect((await second.closed).code).toBe(1001);
    } finally {
      first.terminate();
      await server.close({ timeoutMs: 100 }).catch(() => {});
    }
  });
});
