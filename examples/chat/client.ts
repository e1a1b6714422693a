// One chat participant's read pump: every message it sends, newlines folded to spaces (the
// seed's TrimSpace), is published to the room. Its write pump is the hub's: the queue,
// newline batching and dropping of slow readers live in wasmws/hub (src/hub/subscriber.ts).
import type { Conn } from '../../src/conn/connection';
import { isUnexpectedClose } from '../../src/errors';
import type { Hub } from '../../src/hub/hub';
import { CloseCode } from '../../src/protocol/close-code';

/** The topic every chat connection subscribes to. */
export const ROOM = 'chat';

/** Joins `conn` to the room and relays what it says until it closes. */
export async function joinRoom(hub: Hub, conn: Conn): Promise<void> {
  hub.subscribe(conn, ROOM);
  try {
    for await (const message of conn) {
      const text = message.text().replace(/\n/g, ' ').trim();
      if (text) hub.publish(ROOM, text);
    }
  } catch (err) {
    if (isUnexpectedClose(err, CloseCode.GoingAway, CloseCode.Abnormal, CloseCode.Normal, CloseCode.NoStatus)) {
      console.error(`chat: ${(err as Error).message}`);
    }
  }
}
