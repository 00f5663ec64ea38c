import { parseQuery, type Query } from '../../../common/query';
import { canonicalTags, type Tags } from '../../../common/tags';
import { QueueIndex, type BlockedBy, type Channel } from './queue-index';
import { DEFAULT_VIEW_LIMITS, ViewBudget } from './view-budget';

const q = (raw: object): { key: string; query: Query } => ({ key: JSON.stringify(raw), query: parseQuery(raw) });
const ALL = q({});
const by = (keyValues: Tags, rule = 'r'): BlockedBy => ({ rule, override: null, limit: 1, count: 1, keyValues });

describe(QueueIndex.name, () => {
  let sut: QueueIndex;
  beforeEach(() => {
    sut = new QueueIndex();
  });

  /** A channel with `waiting` items whose first one is at `headSeq`. */
  const channel = (tags: Tags, headSeq: number, waiting = 1): Channel => {
    const c = sut.channel(canonicalTags(tags), tags);
    sut.apply(c, { waiting, headSeq });
    return c;
  };
  const best = (view = ALL) => sut.best(view.key, view.query)?.tags ?? null;

  describe('best', () => {
    it('answers no channel while the queue is paused, and the same best one again once resumed', () => {
      channel({ os: 'linux' }, 20);
      channel({ os: 'mac' }, 10);
      sut.paused = true;
      expect(best()).toBeNull();
      expect(best(q({ Where: { os: 'linux' } }))).toBeNull();
      sut.paused = false;
      expect(best()).toEqual({ os: 'mac' });
      expect(best(q({ Where: { os: 'linux' } }))).toEqual({ os: 'linux' });
    });

    it('returns the matching ready channel whose head has waited longest', () => {
      channel({ os: 'linux', n: 1 }, 30);
      channel({ os: 'mac', n: 2 }, 10);
      channel({ os: 'linux', n: 3 }, 20);
      expect(best()).toEqual({ os: 'mac', n: 2 });
      expect(best(q({ Where: { os: 'linux' } }))).toEqual({ os: 'linux', n: 3 });
      expect(best(q({ Where: { os: 'windows' } }))).toBeNull();
    });

    describe('channels being claimed from', () => {
      it('serves a channel being claimed from after the others of its priority, and alone as long as it has items', () => {
        const a = channel({ c: 'a' }, 10, 3);
        const b = channel({ c: 'b' }, 20);
        const c = channel({ c: 'c' }, 30);
        sut.reserve(a); // a dequeue is taking a's head: its next item's place is not known
        expect(best()).toEqual({ c: 'b' });
        sut.reserve(b);
        expect(best()).toEqual({ c: 'c' });
        sut.reserve(c);
        expect(best()).toEqual({ c: 'a' }); // every one is being claimed from: by head again; a has items left
        sut.reserve(a);
        sut.reserve(a);
        expect(best()).toBeNull(); // three claims in flight for its three items
        sut.unreserve(a);
        expect(best()).toEqual({ c: 'a' });
      });

      it('takes channels in turn by how many claims each has in flight, then by head', () => {
        const a = channel({ c: 'a' }, 10, 3);
        const b = channel({ c: 'b' }, 20, 3);
        const taken: string[] = [];
        for (let i = 0; i < 6; i++) {
          const next = sut.best(ALL.key, ALL.query)!;
          taken.push(String(next.tags.c));
          sut.reserve(next);
        }
        expect(taken).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
        expect(best()).toBeNull();
        sut.unreserve(b);
        sut.unreserve(b);
        sut.unreserve(a);
        expect(best()).toEqual({ c: 'b' }); // one claim in flight against a's two
        expect([a.reserved, b.reserved]).toEqual([2, 1]);
      });

      it('still serves a higher priority first, even while it is being claimed from', () => {
        const urgent = sut.channel(canonicalTags({ c: 'urgent' }), { c: 'urgent' });
        sut.apply(urgent, { waiting: 2, headSeq: 50, headPriority: 5 });
        channel({ c: 'b' }, 20);
        sut.reserve(urgent);
        expect(best()).toEqual({ c: 'urgent' });
      });
    });

    it('follows head changes: a channel whose head moved back or forward is re-ordered', () => {
      const a = channel({ c: 'a' }, 10);
      channel({ c: 'b' }, 20);
      expect(best()).toEqual({ c: 'a' });
      sut.apply(a, { waiting: -1, processing: 1, headSeq: 30 });
      expect(best()).toEqual({ c: 'b' });
      // A front retry puts an older item back at the head.
      sut.apply(a, { waiting: 1, processing: -1, headSeq: 5 });
      expect(best()).toEqual({ c: 'a' });
    });

    it('skips a channel with nothing waiting (only processing)', () => {
      const a = channel({ c: 'a' }, 10);
      sut.apply(a, { waiting: -1, processing: 1, headSeq: null });
      expect(best()).toBeNull();
      expect(sut.get(a.key)).toBe(a);
    });

    it('lets a channel created after a view exists join that view', () => {
      const linux = q({ Where: { os: 'linux' } });
      expect(best(linux)).toBeNull();
      channel({ os: 'mac' }, 1);
      channel({ os: 'linux' }, 2);
      expect(best(linux)).toEqual({ os: 'linux' });
    });
  });

  describe('reserve and block', () => {
    it('takes a channel out of every view while as many dequeues hold it as items wait', () => {
      const a = channel({ c: 'a' }, 1);
      channel({ c: 'b' }, 2);
      const onlyA = q({ Where: { c: 'a' } });
      expect(best(onlyA)).toEqual({ c: 'a' });
      sut.reserve(a);
      expect(a.ready).toBe(false);
      expect(best()).toEqual({ c: 'b' });
      expect(best(onlyA)).toBeNull();
      sut.unreserve(a);
      expect(best()).toEqual({ c: 'a' });
      expect(best(onlyA)).toEqual({ c: 'a' });
    });

    it('takes a blocked channel out of every view and remembers what blocked it', () => {
      const a = channel({ repo: 'w', branch: 'main' }, 1);
      channel({ repo: 'w', branch: 'dev' }, 2);
      sut.block(a, by({ repo: 'w', branch: 'main' }, 'per_branch'));
      expect(best()).toEqual({ repo: 'w', branch: 'dev' });
      expect(a.blockedBy?.rule).toBe('per_branch');
    });

    it('keeps a reserved channel whose items went away, and forgets it once unreserved', () => {
      const a = channel({ c: 'a' }, 1);
      sut.reserve(a);
      sut.apply(a, { waiting: -1, headSeq: null });
      expect(sut.get(a.key)).toBe(a);
      sut.unreserve(a);
      expect(sut.get(a.key)).toBeUndefined();
      expect(sut.channelCount).toBe(0);
    });
  });

  describe('release', () => {
    const mainTags = { repo: 'w', branch: 'main' };
    const devTags = { repo: 'w', branch: 'dev' };
    const iosTags = { repo: 'x', ios_required: true };

    const blockAll = () => {
      const main = channel(mainTags, 1);
      const dev = channel(devTags, 2);
      const ios = channel(iosTags, 3);
      sut.block(main, by(mainTags, 'per_branch'));
      sut.block(dev, by(devTags, 'per_branch'));
      sut.block(ios, by({ ios_required: true }, 'ios'));
      return { main, dev, ios };
    };

    it('unblocks exactly the channels whose blocking key values are all held by the freed tags', () => {
      const { main, dev, ios } = blockAll();
      const released = sut.release({ ...mainTags, _willow_queue: 'builds', extra: 1 });
      expect(released).toEqual([main]);
      expect(main.blockedBy).toBeNull();
      expect(dev.blockedBy).not.toBeNull();
      expect(ios.blockedBy).not.toBeNull();
      expect(best()).toEqual(mainTags);
    });

    it('unblocks nothing for freed tags that lack a key or hold another value', () => {
      blockAll();
      expect(sut.release({ repo: 'w' })).toEqual([]);
      expect(sut.release({ repo: 'w', branch: 'other' })).toEqual([]);
      expect(sut.release({ ios_required: 'true' })).toEqual([]);
      expect(best()).toBeNull();
    });

    it('unblocks every channel blocked by one limit at once, across tag sets', () => {
      const a = channel({ ios_required: true, repo: 'a' }, 1);
      const b = channel({ ios_required: true, repo: 'b' }, 2);
      sut.block(a, by({ ios_required: true }));
      sut.block(b, by({ ios_required: true }));
      expect(new Set(sut.release({ ios_required: true, repo: 'c' }))).toEqual(new Set([a, b]));
      expect(best()).toEqual({ ios_required: true, repo: 'a' });
    });

    it('unblocks everything on release(null) (limits changed)', () => {
      const { main, dev, ios } = blockAll();
      expect(new Set(sut.release(null))).toEqual(new Set([main, dev, ios]));
      expect(best()).toEqual(mainTags);
      expect(sut.release(null)).toEqual([]);
    });

    it('forgets the old limit when a channel is blocked again by another one', () => {
      const main = channel(mainTags, 1);
      sut.block(main, by(mainTags, 'per_branch'));
      sut.block(main, by({ repo: 'w' }, 'per_repo'));
      expect(sut.release({ ...mainTags, branch: 'dev' })).toEqual([main]);
      expect(sut.release(mainTags)).toEqual([]);
    });
  });

  describe('channel lifetime and counts', () => {
    it('forgets a channel holding no waiting and no processing item, and recreates it on next use', () => {
      const a = channel({ c: 'a' }, 1, 2);
      sut.apply(a, { waiting: -1, processing: 1, headSeq: 2 });
      sut.apply(a, { waiting: -1, processing: 1, headSeq: null });
      expect([sut.waiting, sut.processing, sut.channelCount]).toEqual([0, 2, 1]);
      sut.apply(a, { processing: -2 });
      expect(sut.get(a.key)).toBeUndefined();
      expect([sut.waiting, sut.processing, sut.channelCount]).toEqual([0, 0, 0]);
      const again = sut.channel(a.key, a.tags);
      expect(again).not.toBe(a);
      sut.apply(again, { waiting: 1, headSeq: 9 });
      expect(best()).toEqual({ c: 'a' });
    });

    it('drops a channel outright: counts, block and views', () => {
      const a = channel({ c: 'a' }, 1, 3);
      sut.apply(a, { waiting: -1, processing: 1, headSeq: 2 });
      sut.block(a, by({ c: 'a' }));
      channel({ c: 'b' }, 5);
      sut.drop(a);
      expect(sut.get(a.key)).toBeUndefined();
      expect([sut.waiting, sut.processing]).toEqual([1, 0]);
      expect(sut.release(null)).toEqual([]);
      expect(best()).toEqual({ c: 'b' });
    });

    it('keeps a channel dropped while reserved as the one channel of its key until it is unreserved', () => {
      const a = channel({ c: 'a' }, 1);
      sut.reserve(a);
      sut.drop(a);
      expect(sut.waiting).toBe(0);
      // Refilled while a dequeue still holds the reservation: the same object takes the new item.
      const again = sut.channel(a.key, a.tags);
      expect(again).toBe(a);
      sut.apply(again, { waiting: 1, headSeq: 2 });
      expect(best()).toBeNull();
      // The dequeue claims the new head and lets go.
      sut.apply(a, { waiting: -1, processing: 1, headSeq: null });
      sut.unreserve(a);
      expect(sut.get(a.key)).toBe(a);
      expect([a.waiting, a.processing, sut.waiting, sut.processing, sut.channelCount]).toEqual([0, 1, 0, 1, 1]);
      sut.apply(sut.channel(a.key, a.tags), { processing: -1 });
      expect(sut.channelCount).toBe(0);
    });

    it('lists channels by canonical tag encoding', () => {
      channel({ b: 1 }, 1);
      channel({ a: 2 }, 2);
      channel({ a: 1, z: 0 }, 3);
      expect(sut.sorted().map((c) => c.key)).toEqual([canonicalTags({ a: 1, z: 0 }), canonicalTags({ a: 2 }), canonicalTags({ b: 1 })]);
    });
  });

  describe('the views a channel belongs to', () => {
    it('are one shared empty list for every channel while no view exists (nothing allocated per channel)', () => {
      const channels = Array.from({ length: 1_000 }, (_, n) => channel({ n }, n + 1));
      expect(channels.every((c) => c.views === channels[0].views && c.views.length === 0)).toBe(true);
    });

    it('are the views matching the channel, joined when either comes first', () => {
      const linux = q({ Where: { os: 'linux' } });
      const a = channel({ os: 'linux' }, 1);
      const b = channel({ os: 'mac' }, 2);
      best(linux);
      best();
      const c = channel({ os: 'linux', n: 1 }, 3);
      expect([a, b, c].map((x) => x.views.length)).toEqual([2, 1, 2]);
      expect(a.views).not.toBe(c.views);
    });

    it('lose a view the budget evicts, and the channels of its rebuild join it again', () => {
      sut = new QueueIndex(new ViewBudget({ ...DEFAULT_VIEW_LIMITS, maxViewsPerQueue: 1 }));
      const linux = q({ Where: { os: 'linux' } });
      const a = channel({ os: 'linux' }, 1);
      const b = channel({ os: 'mac' }, 2);
      expect(best(linux)).toEqual({ os: 'linux' });
      expect(best()).toEqual({ os: 'linux' }); // evicts the linux view
      expect([a.views.length, b.views.length, sut.viewCount]).toEqual([1, 1, 1]);
      sut.apply(a, { waiting: -1, headSeq: null });
      expect(best(linux)).toBeNull(); // rebuilt; evicts the match-all view
      expect([a.views.length, b.views.length]).toEqual([0, 0]);
    });

    it('are left when the channel is forgotten', () => {
      const a = channel({ os: 'linux' }, 1);
      best();
      sut.apply(a, { waiting: -1, headSeq: null });
      expect(sut.get(a.key)).toBeUndefined();
      expect(a.views).toHaveLength(0);
    });
  });

  describe('views beyond the cache', () => {
    it('answers correctly for 600 distinct queries (views evicted and rebuilt) while channels change', () => {
      for (let n = 0; n < 40; n++) channel({ n }, 1_000 - n);
      const lt = (k: number) => q({ Where: { n: { $lt: k } } });
      const naive = (k: number) => (k <= 0 ? null : { n: Math.min(k - 1, 39) });
      for (let k = 0; k < 600; k++) expect(best(lt(k % 300))).toEqual(naive(k % 300));
      // Change channels while most views are evicted, then ask the early (rebuilt) and late (live) views again.
      for (let n = 30; n < 40; n++) sut.apply(sut.get(canonicalTags({ n }))!, { waiting: -1, headSeq: null });
      for (let k = 0; k < 300; k++) expect(best(lt(k))).toEqual(k <= 0 ? null : { n: Math.min(k - 1, 29) });
    });
  });
});
