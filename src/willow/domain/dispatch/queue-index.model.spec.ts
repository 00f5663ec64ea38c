import fc from 'fast-check';
import { matches, parseQuery, type Query } from '../../../common/query';
import { canonicalTags, type Tags } from '../../../common/tags';
import { QueueIndex, type BlockedBy } from './queue-index';

const q = (raw: object): { key: string; query: Query } => ({ key: JSON.stringify(raw), query: parseQuery(raw) });
const by = (keyValues: Tags, rule = 'r'): BlockedBy => ({ rule, override: null, limit: 1, count: 1, keyValues });

describe(`${QueueIndex.name} model: random operations against a naive scan`, () => {
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

  // The channel fewer dequeues are claiming from goes first, then the oldest head.
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
            const before = (a: ModelChannel, b: ModelChannel) => (a.reserved !== b.reserved ? a.reserved < b.reserved : a.headSeq! < b.headSeq!);
            if (ready && matches(query, m.tags) && (!found || before(m, found))) found = m;
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
