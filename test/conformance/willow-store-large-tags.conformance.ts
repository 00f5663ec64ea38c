import { canonicalTags, compareCodePoints, type Tags } from '../../src/common/tags';
import type { NewItem } from '../../src/willow/willow.port';
import type { StoredItem, WillowStore } from '../../src/willow/willow.store';
import { largestTags } from './support/largest-tags';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function item(tags: Tags, data: unknown, updateable = true) {
  const newItem: NewItem = { tags, data, updateable, retryAttempts: 0, retryPosition: 'front', timeoutMs: 60_000 };
  return { key: canonicalTags(tags), item: newItem, data: JSON.stringify(data) };
}

/**
 * Channels of the largest tag sets, part of the WillowStore conformance suite (run by `describeWillowStore` for every
 * store, on a store holding the empty queue `queue`). Their encodings (~70 KB) are larger than a b-tree entry may be,
 * and the two channels used here differ only in their last characters.
 */
export function describeLargeChannels(store: () => WillowStore, queue: string): void {
  const [a, b] = [largestTags('a'), largestTags('b')];
  const claim = async (tags: Tags): Promise<StoredItem | null> => store().claimHead(queue, canonicalTags(tags), T0);

  describe('channels of the largest tag sets', () => {
    it('collapse, append and hand out in line order, each channel apart', async () => {
      const [first, , other] = await store().enqueue(queue, [item(a, 1), item(a, 2), item(b, 'b')]);
      const [fixed] = await store().enqueue(queue, [item(a, 3, false)]);
      const [appended] = await store().enqueue(queue, [item(a, 4)]);
      expect([first.collapsed, other.collapsed, fixed, appended.collapsed]).toEqual([false, false, { ...first, collapsed: true, reordered: false }, false]);
      expect(await claim(a)).toMatchObject({ id: first.id, data: '3', tags: a, attempt: 1 });
      expect(await claim(a)).toMatchObject({ id: appended.id, data: '4' });
      expect(await claim(a)).toBeNull();
      expect(await claim(b)).toMatchObject({ id: other.id, tags: b });
    });

    it('report their loads, and delete one channel without touching the other', async () => {
      await store().enqueue(queue, [item(a, 1, false), item(a, 2, false), item(b, 3)]);
      const running = (await claim(a))!;
      const loads = [...(await store().channelStates(queue, [canonicalTags(b), canonicalTags(a)]))];
      loads.sort((x, y) => compareCodePoints(x.key, y.key));
      expect(loads).toEqual([
        { queue, key: canonicalTags(a), waiting: 1, processing: 1, headSeq: expect.any(Number), headPriority: 0, headDueAt: null },
        { queue, key: canonicalTags(b), waiting: 1, processing: 0, headSeq: expect.any(Number), headPriority: 0, headDueAt: null },
      ]);
      expect(await store().deleteChannel(queue, canonicalTags(a))).toEqual([running]);
      expect(await store().loadChannels(queue)).toEqual([loads[1]]);
      expect(await store().settle(queue, [{ id: running.id, passed: true, attempt: 1 }], T0)).toEqual([{ kind: 'not_found' }]);
    });

    it('settle a failed delivery to a dead letter and requeue it to the back of its channel', async () => {
      await store().enqueue(queue, [item(a, 'dies', false)]);
      const got = (await claim(a))!;
      expect(await store().settle(queue, [{ id: got.id, passed: false, attempt: 1 }], T0)).toEqual([{ item: got, outcome: 'dead' }]);
      await store().enqueue(queue, [item(a, 'next', false)]);
      expect(await store().requeueDead(queue, got.id)).toMatchObject({ id: got.id, key: canonicalTags(a) });
      expect(await claim(a)).toMatchObject({ data: '"next"' });
      expect(await claim(a)).toMatchObject({ id: got.id, attempt: 1 });
    });
  });
}
