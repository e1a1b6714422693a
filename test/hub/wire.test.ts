import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { PublishSequences, ReceiveSequences } from '../../src/hub/sequences';
import { decodeSyncRequest, decodeWire, encodeBeacon, encodeWire } from '../../src/hub/wire';

/** How the receiver before sequence stamps read the wire (src/hub/redis-broker.ts until issue 12). */
function previousDecode(raw: Uint8Array) {
  if (raw.length < 2 || raw.length < 2 + raw[1]) return null;
  return { origin: new TextDecoder().decode(raw.subarray(2, 2 + raw[1])), binary: (raw[0] & 1) === 1, data: raw.subarray(2 + raw[1]) };
}

/** How the publisher before sequence stamps wrote it. */
function previousEncode(origin: string, binary: boolean, data: Uint8Array): Buffer {
  const o = new TextEncoder().encode(origin);
  const wire = Buffer.allocUnsafe(2 + o.length + data.length);
  wire[0] = binary ? 1 : 0;
  wire[1] = o.length;
  wire.set(o, 2);
  wire.set(data, 2 + o.length);
  return wire;
}

describe('hub wire format', () => {
  const payload = new Uint8Array([0, 0xff, 0x3a, 10]);

  it('round-trips origin, type, bytes and the sequence stamp (an origin may hold ":")', () => {
    for (const origin of ['0123456789abcdef', 'a:b']) {
      const decoded = decodeWire(encodeWire(origin, true, payload, { gen: 3, seq: 2 ** 40 }))!;
      expect({ ...decoded, data: [...decoded.data] }).toEqual({ origin, binary: true, data: [...payload], stamp: { gen: 3, seq: 2 ** 40 } });
    }
  });

  it('is backwards-safe: an older receiver still gets the payload and its type; an older publisher is read unstamped', () => {
    const old = previousDecode(encodeWire('node', false, payload, { gen: 1, seq: 7 }))!;
    expect([old.binary, [...old.data]]).toEqual([false, [...payload]]);
    expect(old.origin).not.toBe('node'); // so it is never mistaken for the receiver's own
    const unstamped = decodeWire(previousEncode('node', true, payload))!;
    expect({ ...unstamped, data: [...unstamped.data] }).toEqual({ origin: 'node', binary: true, data: [...payload] });
  });

  it('a beacon carries a stamp and no payload; an older receiver skips it (its origin length overruns it)', () => {
    const beacon = encodeBeacon('0123456789abcdef', { gen: 2, seq: 99 })!;
    expect(beacon.length).toBeLessThan(257);
    expect(previousDecode(beacon)).toBeNull();
    const decoded = decodeWire(beacon)!;
    expect([decoded.beacon, decoded.origin, decoded.stamp, decoded.data.length]).toEqual([true, '0123456789abcdef', { gen: 2, seq: 99 }, 0]);
    expect(encodeBeacon('x'.repeat(260), { gen: 1, seq: 1 })).toBeNull();
    expect(decodeSyncRequest(Buffer.from(JSON.stringify({ from: 'n', topics: ['a', 3, 'b'] })))).toEqual({ from: 'n', topics: ['a', 'b'] });
    for (const bad of ['{', '{"from":1,"topics":[]}', '{"from":"n"}', 'null']) expect(decodeSyncRequest(Buffer.from(bad))).toBeNull();
  });

  it('rejects what is not one of ours', () => {
    expect(decodeWire(new Uint8Array([0]))).toBeNull();
    expect(decodeWire(new Uint8Array([0, 9, 1]))).toBeNull();
    expect(decodeWire(previousEncode('no-stamp', false, payload).fill(2, 0, 1))).toBeNull(); // bit 1 without a stamp
    expect(() => encodeWire('x'.repeat(300), false, payload, { gen: 1, seq: 1 })).toThrow(RangeError);
  });
});

describe('sequence numbers', () => {
  it('a publisher counts per origin and topic; a forgotten counter comes back as a new generation', () => {
    const seqs = new PublishSequences();
    expect([seqs.next('n', 'a'), seqs.next('n', 'a'), seqs.next('n', 'b'), seqs.next('m', 'a')]).toEqual([{ gen: 1, seq: 1 }, { gen: 1, seq: 2 }, { gen: 2, seq: 1 }, { gen: 3, seq: 1 }]);
    expect(seqs.last('n', 'a')).toEqual({ gen: 1, seq: 2 });
    for (let i = 0; i < 10_000; i++) seqs.next('n', `t${i}`); // 'a' and 'b' are the least recently used
    expect(seqs.last('n', 'a')).toBeUndefined();
    expect(seqs.next('n', 'a')).toEqual({ gen: 10_004, seq: 1 });
  });

  it('a receiver reports jumps only: not the first one heard, not a new generation from 1, not a repeat', () => {
    const heard = new ReceiveSequences();
    expect(heard.check('t', 'A', { gen: 1, seq: 50 })).toBe(0); // subscribed mid-stream
    expect(heard.check('t', 'A', { gen: 1, seq: 51 })).toBe(0);
    expect(heard.check('t', 'A', { gen: 1, seq: 55 })).toBe(3);
    expect(heard.check('t', 'A', { gen: 1, seq: 55 })).toBe(0);
    expect(heard.check('t', 'A', { gen: 1, seq: 54 })).toBe(0);
    expect(heard.check('t', 'A', { gen: 1, seq: 56 })).toBe(0); // the stale one changed nothing
    expect(heard.check('t', 'B', { gen: 9, seq: 1 })).toBe(0); // publishers are independent
    expect(heard.check('u', 'A', { gen: 4, seq: 1 })).toBe(0); // and so are topics
    expect(heard.check('t', 'A', { gen: 2, seq: 1 })).toBe(0);
    expect(heard.check('t', 'A', { gen: 3, seq: 3 })).toBe(2); // a new generation's first two lost
    heard.forget('t');
    expect(heard.check('t', 'A', { gen: 3, seq: 90 })).toBe(0); // left on purpose: no gap
  });

  it('a beacon (the publisher\'s last stamp) reports what never arrived up to it, once', () => {
    const heard = new ReceiveSequences();
    expect(heard.sync('t', 'A', { gen: 1, seq: 9 })).toBe(0); // never heard A here: nothing to compare
    heard.check('t', 'A', { gen: 1, seq: 10 });
    expect(heard.sync('t', 'A', { gen: 1, seq: 10 })).toBe(0); // up to date
    expect(heard.sync('t', 'A', { gen: 1, seq: 14 })).toBe(4);
    expect(heard.sync('t', 'A', { gen: 1, seq: 14 })).toBe(0); // a second beacon: reported already
    expect(heard.check('t', 'A', { gen: 1, seq: 15 })).toBe(0);
    expect(heard.sync('t', 'A', { gen: 2, seq: 3 })).toBe(3); // a whole new generation lost
  });
});
