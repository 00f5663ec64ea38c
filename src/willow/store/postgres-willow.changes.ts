import { MAX_PAYLOAD_BYTES, type ChannelDef, type PayloadCodec } from '../../platform/storage/postgres/pg-channel';
import type { WillowChange } from '../willow.store';

/** What travels on the queue's channel: any change but `resync`, which only a listener concludes. */
export type QueueChange = Exclude<WillowChange, { readonly kind: 'resync' }>;

/**
 * Compact JSON: `{"q":..,"k":[..]}` for channels (with `"t":1` when they were only `taken` from, and `"s":1` as well
 * when only processing items were `settled`), `{"q":..}` for the whole queue, `{"q":..,"d":1}` for a deleted queue. An
 * instance of an earlier version ignores `t` (it reads the channels at once, as it always did) and `s` (it reads a
 * settled channel's head a little later, as one taken from), and reads a change without `t` as one that may have
 * added items. A change naming more channels than fit in a notification becomes a change of the whole queue
 * (channelsChanged splits its changes so that they fit).
 */
const codec: PayloadCodec<QueueChange> = {
  encode: (change) => {
    switch (change.kind) {
      case 'channels':
        if (change.settled) return JSON.stringify({ q: change.queue, k: change.keys, t: 1, s: 1 });
        return JSON.stringify(change.taken ? { q: change.queue, k: change.keys, t: 1 } : { q: change.queue, k: change.keys });
      case 'queue':
        return JSON.stringify({ q: change.queue });
      case 'queue_deleted':
        return JSON.stringify({ q: change.queue, d: 1 });
    }
  },
  decode: (text) => {
    const value = JSON.parse(text) as { q?: unknown; k?: unknown; d?: unknown; t?: unknown; s?: unknown };
    if (typeof value.q !== 'string') throw new Error('not a queue change');
    if (value.d === 1) return { kind: 'queue_deleted', queue: value.q };
    if (Array.isArray(value.k) && value.k.every((k) => typeof k === 'string')) {
      const keys = value.k as string[];
      if (value.t === 1 && value.s === 1) return { kind: 'channels', queue: value.q, keys, taken: true, settled: true };
      return { kind: 'channels', queue: value.q, keys, ...(value.t === 1 ? { taken: true } : {}) };
    }
    return { kind: 'queue', queue: value.q };
  },
  shrink: (change) => ({ kind: 'queue', queue: change.queue }),
};

/**
 * The queue's channel. An instance does not hear its own channel changes (its service applied them as it made them;
 * reading them again would read twice), but hears its own whole-queue changes and deletions.
 */
export const QUEUE_CHANGES: ChannelDef<QueueChange> = { name: 'willow', codec, ignoreOwn: (change) => change.kind === 'channels' };

/** Room the envelope's sender (an instance id: a UUID) and its separator take, with some to spare. */
const SENDER_ROOM = 64;

/**
 * The change of these channels of `queue`, each named once, in as many changes as it takes for each to fit in one
 * notification; none when there are none. (One change naming them all would be shrunk to a change of the whole
 * queue once it passed the payload cap, at about 300 channels: a batch enqueue over many channels then made every
 * instance re-read every channel of the queue, which took most of the database's time under load.) A channel whose
 * key alone exceeds the cap goes in a change of its own, which the codec shrinks to the whole queue. `how`: `added`
 * (items may have become waiting), `taken` (none did) or `settled` (only processing items changed), see WillowChange.
 */
export function channelsChanged(queue: string, keys: Iterable<string>, how: 'added' | 'taken' | 'settled' = 'added'): QueueChange[] {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return [];
  const marks = how === 'settled' ? { taken: true, settled: true } : how === 'taken' ? { taken: true } : {};
  const change = (chunk: string[]): QueueChange => ({ kind: 'channels', queue, keys: chunk, ...marks });
  const room = MAX_PAYLOAD_BYTES - SENDER_ROOM - Buffer.byteLength(codec.encode(change([])), 'utf8');
  const changes: QueueChange[] = [];
  let chunk: string[] = [];
  let used = 0;
  for (const key of unique) {
    const size = Buffer.byteLength(JSON.stringify(key), 'utf8') + 1; // its JSON and a comma
    if (chunk.length > 0 && used + size > room) {
      changes.push(change(chunk));
      chunk = [];
      used = 0;
    }
    chunk.push(key);
    used += size;
  }
  changes.push(change(chunk));
  return changes;
}
