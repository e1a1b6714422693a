import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseError } from '../../src/errors';
import { ENTRY_OVERHEAD_BYTES, Inbox } from '../../src/conn/inbox';
import { Message } from '../../src/frame/message';

/** A FlowControl that records whether reading is paused. */
function flow() {
  const state = { paused: false, pauses: 0 };
  return {
    state,
    control: {
      pauseReading: () => { state.paused = true; state.pauses++; },
      resumeReading: () => { state.paused = false; },
    },
  };
}

const msg = (text: string) => new Message('text', new TextEncoder().encode(text));
const texts = async (inbox: Inbox, n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await inbox.read()).text());
  return out;
};

describe('Inbox', () => {
  it('keeps arrival order across pending (inflating) messages, whichever waiter kind reads', async () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    const first = inbox.read();
    const second = inbox.nextReader();
    const third = inbox.next();
    inbox.deliver(msg('a'));
    const pending = inbox.reserve(10);
    inbox.deliver(msg('c'));
    expect(await first.then((m) => m.text())).toBe('a');
    inbox.fill(pending, msg('b'));
    expect(await (await second).text()).toBe('b');
    expect(((await third).value as Message).text()).toBe('c');
    expect(inbox.bufferedBytes).toBe(0);
  });

  it('reports the failure only after every message queued before it, pending ones included', async () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    inbox.deliver(msg('a'));
    const p1 = inbox.reserve(5);
    const p2 = inbox.reserve(5);
    inbox.fail(new CloseError(1000, '', true));
    expect(await inbox.read().then((m) => m.text())).toBe('a');
    const waiting = inbox.read();
    const iterEnd = inbox.next();
    inbox.fill(p2, msg('ignored-until-p1')); // out of turn: stays behind p1
    inbox.fill(p1, msg('b'));
    expect((await waiting).text()).toBe('b');
    expect(((await iterEnd).value as Message).text()).toBe('ignored-until-p1');
    expect(await inbox.next()).toEqual({ done: true, value: undefined });
    await expect(inbox.read()).rejects.toBeInstanceOf(CloseError);
    expect(inbox.bufferedBytes).toBe(0);
  });

  it('a cancelled inflation drops it and what followed, and its error replaces a close queued behind it', async () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    inbox.deliver(msg('a'));
    const bad = inbox.reserve(100);
    inbox.deliver(msg('after'));
    inbox.fail(new CloseError(1000, '', true));
    inbox.cancel(bad, new CloseError(1007, 'corrupt', false));
    expect(await texts(inbox, 1)).toEqual(['a']);
    await expect(inbox.read()).rejects.toMatchObject({ closeCode: 1007 });
    expect(inbox.queuedMessages).toBe(0);
    expect(inbox.bufferedBytes).toBe(0);
  });

  it('counts pending messages at their compressed size, pauses past the limit, and gives room by ready bytes only', async () => {
    const { state, control } = flow();
    const inbox = new Inbox(100, control);
    const pendings = Array.from({ length: 3 }, () => inbox.reserve(60));
    expect(state.paused).toBe(true);
    // Nothing ready ahead of the first pending one: room, or it would wait for itself.
    await inbox.whenRoom();
    inbox.fill(pendings[0], msg('x'.repeat(150)));
    let roomy = false;
    const room = inbox.whenRoom().then(() => { roomy = true; });
    await Promise.resolve();
    expect(roomy).toBe(false);
    expect((await inbox.read()).data.length).toBe(150);
    await room;
    inbox.fill(pendings[1], msg('y'));
    inbox.fill(pendings[2], msg('z'));
    expect(await texts(inbox, 2)).toEqual(['y', 'z']);
    expect(state.paused).toBe(false);
    expect(inbox.bufferedBytes).toBe(0);
  });
});

describe('Inbox: empty messages count too', () => {
  it('pauses once enough empty messages (complete or pending) are queued, and resumes as they are read', async () => {
    const { state, control } = flow();
    const inbox = new Inbox(ENTRY_OVERHEAD_BYTES * 4, control);
    for (let i = 0; i < 4; i++) inbox.deliver(msg(''));
    expect(state.paused).toBe(false);
    inbox.deliver(msg(''));
    expect(state.paused).toBe(true);
    const pending = inbox.reserve(0);
    inbox.fill(pending, msg(''));
    expect(await texts(inbox, 6)).toEqual(['', '', '', '', '', '']);
    expect(state.paused).toBe(false);
    expect(inbox.bufferedBytes).toBe(0);
  });
});

describe('Inbox, random interleavings', () => {
  it('delivers every message in arrival order and returns its byte count to zero, whatever is pending when', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ compressed: fc.boolean(), size: fc.integer({ min: 0, max: 300 }), fillNow: fc.boolean(), reads: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(50, 500, 1 << 20),
      async (steps, maxBytes) => {
        const { state, control } = flow();
        const inbox = new Inbox(maxBytes, control);
        const unfilled: { pending: ReturnType<Inbox['reserve']>; message: Message }[] = [];
        const reads: Promise<string>[] = [];
        const sent: string[] = [];
        steps.forEach((step, i) => {
          const message = new Message('text', new TextEncoder().encode(`${i}:`.padEnd(step.size + 3, 'x')));
          sent.push(message.text());
          if (step.compressed) unfilled.push({ pending: inbox.reserve(step.size), message });
          else inbox.deliver(message);
          if (step.fillNow && unfilled.length > 0) { const { pending, message: m } = unfilled.shift()!; inbox.fill(pending, m); }
          for (let r = 0; r < step.reads && reads.length < sent.length; r++) {
            const kind = (i + r) % 2;
            // Calls made before earlier ones settle: read() and next() (a nextReader() would be
            // discarded by the next call before it is read: gorilla's rule, tested below).
            reads.push(kind === 0 ? inbox.read().then((m) => m.text()) : inbox.next().then((m) => (m.value as Message).text()));
          }
        });
        inbox.fail(new CloseError(1000, '', true));
        for (const { pending, message } of unfilled.splice(0)) inbox.fill(pending, message);
        const got = await Promise.all(reads);
        // The rest one at a time, each consumed before the next call, nextReader() among them.
        while (got.length < sent.length) got.push(got.length % 2 ? await (await inbox.nextReader()).text() : (await inbox.read()).text());
        expect(got).toEqual(sent);
        expect(await inbox.next()).toEqual({ done: true, value: undefined });
        expect(inbox.bufferedBytes).toBe(0);
        expect(state.paused).toBe(false);
      },
    ), { numRuns: 200 });
  });
});

describe('Inbox: one message at a time is the application\'s', () => {
  it('a second call discards the previous reader: its read() gives null and its bytes are freed', async () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    inbox.deliver(msg('first'));
    inbox.deliver(msg('second'));
    const reader = await inbox.nextReader();
    expect((await inbox.read()).text()).toBe('second');
    expect(reader.isDiscarded).toBe(true);
    expect(await reader.read()).toBeNull();
  });
});

describe('Inbox in push mode (a callback handler)', () => {
  const recorder = () => {
    const got: string[] = [];
    return { got, consumer: { message: (m: Message) => { got.push(m.text()); }, end: (e: Error) => { got.push(`end:${(e as CloseError).closeCode}`); } } };
  };

  it('hands queued messages over after `before`, keeps order behind inflating ones, ends after all of them', () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    inbox.deliver(msg('early')); // came with the handshake
    const { got, consumer } = recorder();
    inbox.consume(consumer, () => { got.push('open'); inbox.deliver(msg('during open')); });
    expect(got).toEqual(['open', 'early', 'during open']);
    inbox.deliver(msg('a'));
    const pending = inbox.reserve(10);
    inbox.deliver(msg('c'));
    inbox.fail(new CloseError(1000, '', true));
    expect(got).toEqual(['open', 'early', 'during open', 'a']); // 'c' and the end wait for 'b'
    inbox.fill(pending, msg('b'));
    expect(got).toEqual(['open', 'early', 'during open', 'a', 'b', 'c', 'end:1000']);
    expect(inbox.bufferedBytes).toBe(0);
  });

  it('a message arriving while the consumer runs is queued behind, never handed over reentrantly', () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    const got: string[] = [];
    inbox.consume({
      message: (m) => {
        got.push(`>${m.text()}`);
        if (m.text() === 'a') inbox.deliver(msg('b'));
        got.push(`<${m.text()}`);
      },
      end: () => got.push('end'),
    });
    inbox.deliver(msg('a'));
    expect(got).toEqual(['>a', '<a', '>b', '<b']);
  });

  it('refuses read(), next() and nextReader() once consumed', async () => {
    const { control } = flow();
    const inbox = new Inbox(1 << 20, control);
    inbox.consume(recorder().consumer);
    for (const pull of [() => inbox.read(), () => inbox.next(), () => inbox.nextReader()]) {
      await expect(pull()).rejects.toMatchObject({ code: 'WS_ERR_INVALID_ARGUMENT' });
    }
  });
});
