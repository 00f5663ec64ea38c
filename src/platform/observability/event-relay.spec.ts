import { canonicalTags } from '../../common/tags';
import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES } from '../storage/postgres/pg-channel';
import { EVENT_RELAY, packEvents } from './event-relay';
import type { ObservedEvent } from './observer.port';

const SENDER = '0b6c5f3e-8f2a-4c1e-9d7b-2a6f0e9c1d34';

const event = (n: number, tags: Record<string, string> | null = { branch: `b${n}`, os: 'linux' }): ObservedEvent => ({
  type: 'item.enqueued',
  queue: 'builds',
  id: `01J${String(n).padStart(23, '0')}`,
  tags,
  at: 1_700_000_000_000 + n,
  ...(tags && { key: canonicalTags(tags) }),
});

/** What a listener gets back from a group sent through the channel's envelope. */
const roundTrip = (group: readonly ObservedEvent[]) => decodePayload(EVENT_RELAY.codec, encodePayload(EVENT_RELAY.codec, SENDER, group))!.message;

describe('event relay', () => {
  it('packs the events of a batch into few notifications, in order, each whole and under the cap', () => {
    const events = Array.from({ length: 1_000 }, (_, n) => event(n));
    const groups = packEvents(events);
    expect(groups.length).toBeLessThan(40);
    expect(groups.flat()).toEqual(events);
    for (const group of groups) {
      const payload = encodePayload(EVENT_RELAY.codec, SENDER, group);
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      expect(roundTrip(group)).toEqual(group.map(({ key: _key, ...rest }) => rest)); // whole: never shrunk
    }
  });

  it('writes each event once: a group is sent as the text it was measured by', () => {
    const events = Array.from({ length: 300 }, (_, n) => event(n));
    const groups = packEvents(events);
    const stringify = jest.spyOn(JSON, 'stringify');
    const payloads = groups.map((group) => encodePayload(EVENT_RELAY.codec, SENDER, group));
    expect(stringify).not.toHaveBeenCalled();
    stringify.mockRestore();
    expect(payloads.flatMap((p) => decodePayload(EVENT_RELAY.codec, p)!.message)).toEqual(events.map(({ key: _key, ...rest }) => rest));
    // A group put together elsewhere is written when it is sent.
    expect(roundTrip([events[1], events[0]])).toEqual([events[1], events[0]].map(({ key: _key, ...rest }) => rest));
  });

  it('reads back every field, and events without a queue, id or tags', () => {
    const group: ObservedEvent[] = [
      event(1),
      { type: 'queue.paused', queue: 'builds', id: null, tags: null, at: 5 },
      { type: 'lock.granted', queue: null, id: 'L1', tags: { resource: 'db "main"' }, at: 6 },
    ];
    expect(roundTrip(group)).toEqual([
      { type: 'item.enqueued', queue: 'builds', id: group[0].id, tags: group[0].tags, at: group[0].at },
      group[1],
      group[2],
    ]);
  });

  it('reads a lone event, as an instance of the previous version sends it', () => {
    expect(EVENT_RELAY.codec.decode('{"t":"item.acked","q":"builds","i":"x","a":7}')).toEqual([
      { type: 'item.acked', queue: 'builds', id: 'x', tags: null, at: 7 },
    ]);
  });

  it('sends an event whose tags do not fit even alone without them', () => {
    const huge = event(1, { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    const groups = packEvents([event(0), huge, event(2)]);
    expect(groups).toEqual([[event(0)], [huge], [event(2)]]);
    expect(roundTrip(groups[1])).toEqual([{ type: 'item.enqueued', queue: 'builds', id: huge.id, tags: null, at: huge.at }]);
  });

  it('refuses what is not an event', () => {
    expect(() => EVENT_RELAY.codec.decode('[{"t":"no.such.type","a":1}]')).toThrow('not an event');
    expect(() => EVENT_RELAY.codec.decode('[null]')).toThrow('not an event');
  });
});
