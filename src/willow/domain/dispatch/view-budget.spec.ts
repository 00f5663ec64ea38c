import { parseQuery } from '../../../common/query';
import { canonicalTags, type Tags } from '../../../common/tags';
import { QueueIndex } from './queue-index';
import { ViewBudget, viewWeight, type ViewLimits } from './view-budget';

const LIMITS: ViewLimits = { maxViewsPerQueue: 4, maxBytesPerQueue: 64 * 1024, maxBytesTotal: 256 * 1024, idleMs: 60_000 };

/** A query of about `chars` characters of JSON that matches channels tagged `{os: "linux"}`. */
function bigQuery(i: number, chars: number): { key: string; query: ReturnType<typeof parseQuery> } {
  const pad = Math.max(0, Math.floor((chars - 60) / 12));
  const raw = { Where: { os: 'linux', n: { $nin: [`q${i}`, ...Array.from({ length: pad }, (_, j) => `v${j}`.padEnd(9, 'x'))] } } };
  return { key: JSON.stringify(raw), query: parseQuery(raw) };
}

describe(ViewBudget.name, () => {
  let now: number;
  let sut: ViewBudget;
  beforeEach(() => {
    now = 0;
    sut = new ViewBudget(LIMITS, () => now);
  });

  const index = () => {
    const idx = new QueueIndex(sut);
    for (let c = 0; c < 20; c++) {
      const tags: Tags = { os: 'linux', c };
      idx.apply(idx.channel(canonicalTags(tags), tags), { waiting: 1, headSeq: c + 1 });
    }
    return idx;
  };

  it('keeps at most maxViewsPerQueue views of one queue, evicting the least recently used', () => {
    const idx = index();
    for (let i = 0; i < 10; i++) {
      const { key, query } = bigQuery(i, 100);
      expect(idx.best(key, query)?.tags).toEqual({ os: 'linux', c: 0 });
      expect(idx.viewCount).toBeLessThanOrEqual(LIMITS.maxViewsPerQueue);
    }
    expect(sut.size).toBe(LIMITS.maxViewsPerQueue);
  });

  it('bounds the views of one queue by their total size', () => {
    const idx = index();
    for (let i = 0; i < 4; i++) {
      const { key, query } = bigQuery(i, 12_000);
      idx.best(key, query);
      expect(idx.viewBytes).toBeLessThanOrEqual(LIMITS.maxBytesPerQueue);
    }
    expect(idx.viewCount).toBe(Math.floor(LIMITS.maxBytesPerQueue / viewWeight(bigQuery(0, 12_000).key)));
  });

  it('bounds the views of all queues together, evicting across queues', () => {
    const queues = Array.from({ length: 10 }, () => index());
    for (const [n, idx] of queues.entries()) {
      for (let i = 0; i < 2; i++) {
        const { key, query } = bigQuery(n * 10 + i, 7_000);
        expect(idx.best(key, query)?.tags).toEqual({ os: 'linux', c: 0 });
        expect(sut.bytes).toBeLessThanOrEqual(LIMITS.maxBytesTotal);
      }
    }
    expect(queues[0].viewCount).toBe(0);
    expect(queues[9].viewCount).toBe(2);
  });

  it('evicts views that were not used for idleMs', () => {
    const idx = index();
    const old = bigQuery(1, 100);
    idx.best(old.key, old.query);
    now = LIMITS.idleMs;
    const recent = bigQuery(2, 100);
    idx.best(recent.key, recent.query);
    expect(idx.viewCount).toBe(1);
    expect(sut.size).toBe(1);
  });

  it('answers correctly from a rebuilt view after eviction, and forgets a disposed queue', () => {
    const idx = index();
    const first = bigQuery(0, 100);
    idx.best(first.key, first.query);
    for (let i = 1; i <= LIMITS.maxViewsPerQueue; i++) idx.best(bigQuery(i, 100).key, bigQuery(i, 100).query);
    const head = idx.best(first.key, first.query)!;
    idx.apply(head, { waiting: -1, processing: 1, headSeq: null });
    expect(idx.best(first.key, first.query)?.tags).toEqual({ os: 'linux', c: 1 });
    idx.dispose();
    expect(sut.size).toBe(0);
    expect(sut.bytes).toBe(0);
    // A dequeue that still holds the disposed index gets answers but charges the budget nothing.
    expect(idx.best(first.key, first.query)?.tags).toEqual({ os: 'linux', c: 1 });
    expect(sut.size).toBe(0);
  });
});
