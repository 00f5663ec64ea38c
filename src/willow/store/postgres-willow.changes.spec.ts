import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES } from '../../platform/storage/postgres/pg-channel';
import { channelsChanged, QUEUE_CHANGES, type QueueChange } from './postgres-willow.changes';

describe('QUEUE_CHANGES', () => {
  const roundTrip = (change: QueueChange) => decodePayload(QUEUE_CHANGES.codec, encodePayload(QUEUE_CHANGES.codec, 'me', change))?.message;

  it.each<QueueChange>([
    { kind: 'channels', queue: 'orders', keys: ['{"a":1}', '{"b":"x y"}'] },
    { kind: 'queue', queue: 'orders' },
    { kind: 'queue_deleted', queue: 'orders' },
  ])('reads back a $kind change', (change) => {
    expect(roundTrip(change)).toEqual(change);
  });

  it('turns a change of more channels than fit into a change of the whole queue', () => {
    const keys = Array.from({ length: 200 }, (_, n) => JSON.stringify({ n, pad: 'x'.repeat(40) }));
    expect(JSON.stringify(keys).length).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(roundTrip({ kind: 'channels', queue: 'orders', keys })).toEqual({ kind: 'queue', queue: 'orders' });
  });

  it('lets an instance skip only its own channel changes', () => {
    const ignores = QUEUE_CHANGES.ignoreOwn as (change: QueueChange) => boolean;
    expect(ignores({ kind: 'channels', queue: 'q', keys: ['k'] })).toBe(true);
    expect(ignores({ kind: 'queue', queue: 'q' })).toBe(false);
    expect(ignores({ kind: 'queue_deleted', queue: 'q' })).toBe(false);
  });

  it('names each changed channel once, and makes no change of no channel', () => {
    expect(channelsChanged('q', ['a', 'b', 'a'])).toEqual([{ kind: 'channels', queue: 'q', keys: ['a', 'b'] }]);
    expect(channelsChanged('q', [])).toEqual([]);
  });
});
