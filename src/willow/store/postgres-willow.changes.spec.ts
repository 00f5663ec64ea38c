import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES } from '../../platform/storage/postgres/pg-channel';
import { channelsChanged, QUEUE_CHANGES, type QueueChange } from './postgres-willow.changes';

describe('QUEUE_CHANGES', () => {
  const roundTrip = (change: QueueChange) => decodePayload(QUEUE_CHANGES.codec, encodePayload(QUEUE_CHANGES.codec, 'me', change))?.message;

  it.each<QueueChange>([
    { kind: 'channels', queue: 'orders', keys: ['{"a":1}', '{"b":"x y"}'] },
    { kind: 'channels', queue: 'orders', keys: ['{"a":1}'], taken: true },
    { kind: 'channels', queue: 'orders', keys: ['{"a":1}'], taken: true, settled: true },
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

  it('splits a change of more channels than fit in one notification into several that each fit, every channel named once', () => {
    const keys = Array.from({ length: 1_000 }, (_, n) => JSON.stringify({ repo: `r${n}`, pad: 'x'.repeat(40 + (n % 7)) }));
    const changes = channelsChanged('orders', [...keys, ...keys.slice(0, 10)]);
    expect(changes.length).toBeGreaterThan(5);
    const sender = '0123e4567-e89b-42d3-a456-426614174000'.slice(1);
    const heard = changes.map((change) => {
      const payload = encodePayload(QUEUE_CHANGES.codec, sender, change);
      expect(Buffer.byteLength(payload, 'utf8')).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      return decodePayload(QUEUE_CHANGES.codec, payload)?.message;
    });
    expect(heard.every((change) => change?.kind === 'channels')).toBe(true);
    expect(heard.flatMap((change) => (change?.kind === 'channels' ? change.keys : []))).toEqual(keys);
  });

  it('gives a channel whose key alone exceeds the cap a change of its own, which is sent as the whole queue', () => {
    const huge = JSON.stringify({ blob: 'é'.repeat(MAX_PAYLOAD_BYTES) });
    const changes = channelsChanged('orders', ['{"a":1}', huge, '{"b":2}']);
    expect(changes.map((change) => roundTrip(change))).toEqual([
      { kind: 'channels', queue: 'orders', keys: ['{"a":1}'] },
      { kind: 'queue', queue: 'orders' },
      { kind: 'channels', queue: 'orders', keys: ['{"b":2}'] },
    ]);
  });

  it('marks every part of a change of channels only taken from, and reads an earlier version\'s change as one that may add', () => {
    const keys = Array.from({ length: 400 }, (_, n) => JSON.stringify({ repo: `r${n}`, pad: 'x'.repeat(40) }));
    const changes = channelsChanged('orders', keys, 'taken');
    expect(changes.length).toBeGreaterThan(1);
    expect(changes.every((change) => change.kind === 'channels' && change.taken === true)).toBe(true);
    for (const change of changes) expect(Buffer.byteLength(encodePayload(QUEUE_CHANGES.codec, 'me', change), 'utf8')).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(decodePayload(QUEUE_CHANGES.codec, 'them {"q":"orders","k":["a"]}')?.message).toEqual({ kind: 'channels', queue: 'orders', keys: ['a'] });
    expect(QUEUE_CHANGES.ignoreOwn).toBeInstanceOf(Function);
    expect((QUEUE_CHANGES.ignoreOwn as (change: QueueChange) => boolean)(changes[0])).toBe(true);
  });

  it('names each changed channel once, and makes no change of no channel', () => {
    expect(channelsChanged('q', ['a', 'b', 'a'])).toEqual([{ kind: 'channels', queue: 'q', keys: ['a', 'b'] }]);
    expect(channelsChanged('q', [])).toEqual([]);
  });

  it('marks every part of a change of settled channels as settled and taken, so an earlier version reads it as taken', () => {
    const keys = Array.from({ length: 400 }, (_, n) => JSON.stringify({ repo: `r${n}`, pad: 'x'.repeat(40) }));
    const changes = channelsChanged('orders', keys, 'settled');
    expect(changes.length).toBeGreaterThan(1);
    expect(changes.every((change) => change.kind === 'channels' && change.taken === true && change.settled === true)).toBe(true);
    const payload = encodePayload(QUEUE_CHANGES.codec, 'me', changes[0]);
    expect(Buffer.byteLength(payload, 'utf8')).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    // What an earlier version decodes: `t` only (it never looked at `s`).
    expect(JSON.parse(payload.slice(payload.indexOf('{')))).toMatchObject({ t: 1, s: 1 });
    // `s` without `t` is no change this version sends: read as one that may add, the safe side.
    expect(decodePayload(QUEUE_CHANGES.codec, 'them {"q":"orders","k":["a"],"s":1}')?.message).toEqual({ kind: 'channels', queue: 'orders', keys: ['a'] });
  });
});
