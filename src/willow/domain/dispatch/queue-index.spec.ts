import fc from 'fast-check';
import { matches, parseQuery, type Query } from '../../../common/query';
import { canonicalTags, type Tags } from '../../../common/tags';
import { QueueIndex, type BlockedBy, type Channel } from './queue-index';

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
    it('returns the matching ready channel whose head has waited longest', () => {
      channel({ os: 'linux', n: 1 }, 30);
      channel({ os: 'mac', n: 2 }, 10);
      channel({ os: 'linux', n: 3 }, 20);
      expect(best()).toEqual({ os: 'mac', n: 2 });
      expect(best(q({ Where: { os: 'linux' } }))).toEqual({ os: 'linux', n: 3 });
      expect(best(q({ Where: { os: 'windows' } }))).toBeNull();
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

  describe('model: random operations against a naive scan', () => {
    const TAG_SETS: Tags[] = [];
    for (const repo of ['a', 'b']) {
      for (const branch of ['x', 'y', undefined]) {
        for (const n of [0, 1, 2]) TAG_SETS.push(branch === undefined ? { repo, n } : { repo, branch, n });
      }
    }
    const QUERIES = [
      q({}),
      q({ Where: { repo: 'a' } }),
      q({ Where: { branch: { $exists: false } } }),
      q({ Where: { $or: [{ repo: 'b' }, { n: 0 }] } }),
      q({ Where: { branch: { $in: ['x', 'z'] }, n: { $gte: 1 } } }),
      q({ Where: { repo: 'c' } }),
      q({ OnlyKeys: ['repo', 'n'] }),
      // Enough distinct queries to overflow the 256 cached views.
      ...Array.from({ length: 300 }, (_, k) => q({ Where: { n: { $lte: k % 3 } }, MinKeys: Math.floor(k / 3) % 4 })),
    ];
    const FREED: Array<Tags | null> = [null, ...TAG_SETS.map((t) => ({ ...t, _willow_queue: 'q' })), { repo: 'a' }, { repo: 'b', branch: 'y' }, { n: 1 }];

    interface ModelChannel {
      readonly tags: Tags;
      waiting: number;
      processing: number;
      headSeq: number | null;
      blockedBy: Tags | null;
      reserved: number;
    }

    type Op =
      | { kind: 'enqueue'; t: number; seq: number }
      | { kind: 'take'; v: number; claim: boolean; keys: string[]; seq: number }
      | { kind: 'settle'; t: number; back: boolean; seq: number }
      | { kind: 'reserve' | 'unreserve' | 'drop'; t: number }
      | { kind: 'release'; f: number }
      | { kind: 'best'; v: number }
      | { kind: 'sweep'; from: number };

    const tagIdx = fc.nat(TAG_SETS.length - 1);
    const seq = fc.nat(1_000_000);
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), t: tagIdx, seq }) },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('take' as const),
          v: fc.nat(QUERIES.length - 1),
          claim: fc.boolean(),
          keys: fc.subarray(['repo', 'branch', 'n']),
          seq,
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), t: tagIdx, back: fc.boolean(), seq }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('reserve' as const, 'unreserve' as const, 'drop' as const), t: tagIdx }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), f: fc.nat(FREED.length - 1) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('best' as const), v: fc.nat(QUERIES.length - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), from: fc.nat(QUERIES.length - 1) }) },
    );

    it('keeps views, blocks, reservations and counts equal to the model', () => {
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 150, size: 'max' }), (ops) => {
          const index = new QueueIndex();
          const model = new Map<string, ModelChannel>();
          let counter = 0;
          const fresh = (s: number) => s * 1_000 + ++counter; // unique, in random order
          const entry = (t: number) => {
            const tags = TAG_SETS[t];
            const key = canonicalTags(tags);
            let m = model.get(key);
            if (!m) model.set(key, (m = { tags, waiting: 0, processing: 0, headSeq: null, blockedBy: null, reserved: 0 }));
            return { key, m, c: () => index.channel(key, tags) };
          };
          const prune = () => {
            for (const [key, m] of model) if (m.waiting === 0 && m.processing === 0 && m.reserved === 0 && !m.blockedBy) model.delete(key);
          };
          const naiveBest = (query: Query) => {
            let found: ModelChannel | null = null;
            for (const m of model.values()) {
              const ready = m.headSeq !== null && !m.blockedBy && m.reserved < m.waiting;
              if (ready && matches(query, m.tags) && (!found || m.headSeq! < found.headSeq!)) found = m;
            }
            return found;
          };
          const checkBest = (v: number) => {
            const { key, query } = QUERIES[v];
            const got = index.best(key, query)?.tags ?? null;
            const want = naiveBest(query)?.tags ?? null;
            if ((got && canonicalTags(got)) !== (want && canonicalTags(want))) expect({ query: key, best: got }).toEqual({ query: key, best: want });
          };

          for (const o of ops) {
            switch (o.kind) {
              case 'enqueue': {
                const { m, c } = entry(o.t);
                m.waiting++;
                m.headSeq ??= fresh(o.seq);
                index.apply(c(), { waiting: 1, headSeq: m.headSeq });
                break;
              }
              case 'take': {
                const { key, query } = QUERIES[o.v];
                const expected = naiveBest(query);
                const got = index.best(key, query);
                expect(got?.tags ?? null).toEqual(expected?.tags ?? null);
                if (!got || !expected) break;
                index.reserve(got);
                expected.reserved++;
                if (o.claim) {
                  expected.waiting--;
                  expected.processing++;
                  expected.headSeq = expected.waiting === 0 ? null : fresh(o.seq);
                  index.apply(got, { waiting: -1, processing: 1, headSeq: expected.headSeq });
                } else {
                  const keys = o.keys.filter((k) => Object.hasOwn(got.tags, k));
                  const keyValues = Object.fromEntries((keys.length ? keys : ['repo']).map((k) => [k, got.tags[k]]));
                  expected.blockedBy = keyValues;
                  index.block(got, by(keyValues));
                }
                index.unreserve(got);
                expected.reserved--;
                break;
              }
              case 'settle': {
                const { m, c } = entry(o.t);
                if (m.processing === 0) break;
                m.processing--;
                if (o.back) {
                  m.waiting++;
                  const s = fresh(o.seq);
                  m.headSeq = m.headSeq === null ? s : Math.min(m.headSeq, s);
                }
                index.apply(c(), { processing: -1, waiting: o.back ? 1 : 0, headSeq: o.back ? m.headSeq : undefined });
                break;
              }
              case 'reserve':
              case 'unreserve': {
                const { key, m } = entry(o.t);
                const want = o.kind === 'reserve';
                if (!index.get(key) || (!want && m.reserved === 0)) break;
                m.reserved += want ? 1 : -1;
                if (want) index.reserve(index.get(key)!);
                else index.unreserve(index.get(key)!);
                break;
              }
              case 'drop': {
                const { key, m } = entry(o.t);
                const c = index.get(key);
                if (!c) break;
                // A reserved channel keeps its reservation (a dequeue in flight still holds it).
                Object.assign(m, { waiting: 0, processing: 0, headSeq: null, blockedBy: null });
                index.drop(c);
                break;
              }
              case 'release': {
                const freed = FREED[o.f];
                const expected = [...model.entries()]
                  .filter(([, m]) => m.blockedBy && (freed === null || Object.entries(m.blockedBy).every(([k, v]) => Object.hasOwn(freed, k) && freed[k] === v)))
                  .map(([key, m]) => ((m.blockedBy = null), key));
                expect(index.release(freed).map((c) => c.key).sort()).toEqual(expected.sort());
                break;
              }
              case 'best':
                checkBest(o.v);
                break;
              case 'sweep':
                for (let i = 0; i < 270; i++) checkBest((o.from + i) % QUERIES.length);
                break;
            }
            prune();
            // Plain comparison per step (expect() on every step would dominate the run time).
            const actual = { count: index.channelCount, waiting: index.waiting, processing: index.processing, channels: [] as unknown[] };
            const expected = { count: model.size, waiting: 0, processing: 0, channels: [] as unknown[] };
            for (const [key, m] of model) {
              const c = index.get(key);
              actual.channels.push(c && { w: c.waiting, p: c.processing, h: c.headSeq, b: c.blockedBy && canonicalTags(c.blockedBy.keyValues), r: c.reserved });
              expected.channels.push({ w: m.waiting, p: m.processing, h: m.headSeq, b: m.blockedBy && canonicalTags(m.blockedBy), r: m.reserved });
              expected.waiting += m.waiting;
              expected.processing += m.processing;
            }
            if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
          }
          for (let v = 0; v < QUERIES.length; v++) checkBest(v);
        }),
        { numRuns: 100 },
      );
    });
  });
});
