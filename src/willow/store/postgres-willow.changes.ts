import type { ChannelDef, PayloadCodec } from '../../platform/storage/postgres/pg-channel';
import type { WillowChange } from '../willow.store';

/** What travels on the queue's channel: any change but `resync`, which only a listener concludes. */
export type QueueChange = Exclude<WillowChange, { readonly kind: 'resync' }>;

/**
 * Compact JSON: `{"q":..,"k":[..]}` for channels, `{"q":..}` for the whole queue, `{"q":..,"d":1}` for a deleted
 * queue. A change naming more channels than fit in a notification becomes a change of the whole queue.
 */
const codec: PayloadCodec<QueueChange> = {
  encode: (change) => {
    switch (change.kind) {
      case 'channels':
        return JSON.stringify({ q: change.queue, k: change.keys });
      case 'queue':
        return JSON.stringify({ q: change.queue });
      case 'queue_deleted':
        return JSON.stringify({ q: change.queue, d: 1 });
    }
  },
  decode: (text) => {
    const value = JSON.parse(text) as { q?: unknown; k?: unknown; d?: unknown };
    if (typeof value.q !== 'string') throw new Error('not a queue change');
    if (value.d === 1) return { kind: 'queue_deleted', queue: value.q };
    if (Array.isArray(value.k) && value.k.every((k) => typeof k === 'string')) return { kind: 'channels', queue: value.q, keys: value.k as string[] };
    return { kind: 'queue', queue: value.q };
  },
  shrink: (change) => ({ kind: 'queue', queue: change.queue }),
};

/**
 * The queue's channel. An instance does not hear its own channel changes (its service applied them as it made them;
 * reading them again would read twice), but hears its own whole-queue changes and deletions.
 */
export const QUEUE_CHANGES: ChannelDef<QueueChange> = { name: 'willow', codec, ignoreOwn: (change) => change.kind === 'channels' };

/** The change of these channels of `queue`, each named once; none when there are none. */
export function channelsChanged(queue: string, keys: Iterable<string>): QueueChange[] {
  const unique = [...new Set(keys)];
  return unique.length > 0 ? [{ kind: 'channels', queue, keys: unique }] : [];
}
