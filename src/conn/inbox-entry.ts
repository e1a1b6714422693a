import { Message } from '../frame/message';

/**
 * A message whose frames have arrived and whose bytes are still being inflated: it holds its
 * place in the inbox's order (and its compressed bytes in the inbox's count) until the
 * inflater fills it, or cancels it and everything behind it when the inflation fails.
 */
export class PendingMessage {
  /** The inflated message, once filled. */
  message: Message | null = null;

  /** @internal */
  constructor(
    /** Bytes counted for it: the compressed size until filled, then the inflated size. */
    public bytes: number,
  ) {}
}

/** What the inbox's queue holds: a complete message or one still inflating. */
export type Entry = Message | PendingMessage;

/**
 * What a queued entry (or a streamed chunk) costs beyond its payload (its objects; a pending
 * one's promises too), counted with its bytes: otherwise empty messages count 0 and a peer sending 6-byte empty
 * frames fills the heap (~150 B each, ~650 B compressed) without ever pausing the socket.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/** What an entry counts against the read buffer: its payload and its overhead. */
export function weightOf(entry: Entry): number {
  return (entry instanceof Message ? entry.data.length : entry.bytes) + ENTRY_OVERHEAD_BYTES;
}
