import type { SequenceStamp } from './wire';

/** Topics a publisher keeps a counter for; the least recently used one is forgotten beyond. */
const MAX_PUBLISHED_TOPICS = 10_000;
/** Publishers a receiver follows per topic; the least recently heard one is forgotten beyond. */
const MAX_ORIGINS_PER_TOPIC = 1_024;

/** Moves `key` to the end of `map`'s order (most recently used) and trims the oldest beyond `max`. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/** True when `stamp` comes after `last`: a later generation, or a higher number in the same one. */
function isNewer(stamp: SequenceStamp, last: SequenceStamp): boolean {
  return stamp.gen > last.gen || (stamp.gen === last.gen && stamp.seq > last.seq);
}

/**
 * A publisher's sequence numbers, one counter per origin and topic, so that receivers can tell when
 * publications went missing. A counter forgotten (LRU) and made again gets a new generation:
 * receivers start over with it instead of reporting a false gap.
 */
export class PublishSequences {
  private readonly counters = new Map<string, SequenceStamp>();
  private generations = 0;

  /** The stamp for the next publication of `origin` on `topic`. */
  next(origin: string, topic: string): SequenceStamp {
    const key = `${origin}\u0000${topic}`;
    const current = this.counters.get(key);
    const stamp = current === undefined ? { gen: ++this.generations, seq: 1 } : { gen: current.gen, seq: current.seq + 1 };
    touch(this.counters, key, stamp, MAX_PUBLISHED_TOPICS);
    return stamp;
  }

  /** The last stamp used by `origin` on `topic`, if it still has a counter. */
  last(origin: string, topic: string): SequenceStamp | undefined {
    return this.counters.get(`${origin}\u0000${topic}`);
  }
}

/**
 * What a receiving node has heard from each publisher on each topic it subscribes to. A
 * sequence number that jumps means publications were lost on the way (e.g. published while
 * this node was resubscribing after a Redis restart).
 */
export class ReceiveSequences {
  private readonly byTopic = new Map<string, Map<string, SequenceStamp>>();

  /** Records `stamp` from `origin` on `topic`; returns how many of its publications were missed before it. */
  check(topic: string, origin: string, stamp: SequenceStamp): number {
    let origins = this.byTopic.get(topic);
    if (origins === undefined) this.byTopic.set(topic, (origins = new Map()));
    const last = origins.get(origin);
    if (last !== undefined && !isNewer(stamp, last)) return 0;
    touch(origins, origin, stamp, MAX_ORIGINS_PER_TOPIC);
    if (last === undefined) return 0; // first heard: this node may have subscribed just now
    // Heard before and listening since (forget() was not called): a new generation starts
    // at 1, and within one every number follows the last. One publisher's messages arrive
    // in the order it made them (one Redis connection), so a jump is a loss.
    return stamp.gen > last.gen ? stamp.seq - 1 : stamp.seq - last.seq - 1;
  }

  /**
   * Records a beacon: `stamp` is the last one `origin` used on `topic`. Returns how many of
   * its publications up to that one never arrived here.
   */
  sync(topic: string, origin: string, stamp: SequenceStamp): number {
    const origins = this.byTopic.get(topic);
    const last = origins?.get(origin);
    if (origins === undefined || last === undefined) return 0; // nothing heard: nothing to compare
    if (!isNewer(stamp, last)) return 0;
    touch(origins, origin, stamp, MAX_ORIGINS_PER_TOPIC);
    return stamp.gen > last.gen ? stamp.seq : stamp.seq - last.seq;
  }

  /** This node stopped listening to `topic` on purpose: what it misses from now on is no gap. */
  forget(topic: string): void {
    this.byTopic.delete(topic);
  }
}
