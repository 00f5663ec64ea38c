import { FakeClock } from '../../src/common/clock';
import { canonicalTags, type Tags } from '../../src/common/tags';
import { COUNTER_BATCH_MAX, DECREMENT_OP_RETENTION_MS, type IncrementResult } from '../../src/limiter/limiter.port';
import { PRUNE_EVERY_MS } from '../../src/limiter/store/decrement-ops';
import { COUNTER_VALUE_MAX, COUNTERS_MAX } from '../../src/limiter/domain/validate';
import type { LimiterStore } from '../../src/limiter/limiter.store';
import { codeOf, openLimiter, type LimiterUnderTest } from '../support/limiter-harness';
import { describeLimiterEquivalence } from './limiter-equivalence.conformance';

export interface LimiterStoreFixture {
  readonly store: LimiterStore;
  /** Closes the store and opens a new one on the same data; only for stores that keep data. */
  reopen?(): Promise<LimiterStore>;
  /** In the current turn, queues a write that makes the store's next commit fail as a whole; if the store can. */
  failNextCommit?(): Promise<unknown>;
  dispose(): Promise<void>;
}

export interface LimiterStoreSuiteOptions {
  /** Runs of the equivalence property (fewer for slow stores). */
  readonly propertyRuns: number;
  /** The fixture keeps data across `reopen` (runs the durability test). */
  readonly durable?: boolean;
  /** The fixture can make a commit fail (`failNextCommit`). */
  readonly failableCommits?: boolean;
  /** Writes issued together apply in call order (the embedded store); a shared store runs them concurrently. */
  readonly orderedWrites?: boolean;
}

const all = { limit: 10_000, cursor: null };

/** The behaviours every LimiterStore must have, run through the Limiter's services on top of it. */
export function describeLimiterStore(
  label: string,
  make: () => Promise<LimiterStoreFixture>,
  opts: LimiterStoreSuiteOptions = { propertyRuns: 100 },
): void {
  describe(`LimiterStore [${label}]`, () => {
    let fx: LimiterStoreFixture;
    let sut: LimiterUnderTest;
    const counts = async (tags: Record<string, string | number>) =>
      (await sut.port.explain({ tags, counters: 1 })).limits.map((l) => [l.rule, l.override, l.count]);

    beforeEach(async () => {
      fx = await make();
      sut = await openLimiter(fx.store);
    });
    afterEach(() => fx.dispose());

    it('computes a new rule aggregates over the counters that already exist', async () => {
      await sut.port.set({ tags: { repo: 'w', branch: 'f', os: 'mac' }, counters: 2 });
      await sut.port.set({ tags: { repo: 'w', branch: 'f', os: 'linux' }, counters: 3 });
      await sut.port.set({ tags: { repo: 'w', branch: 'g' }, counters: 1 });
      await sut.admin.createRule({ name: 'builds', groupBy: ['repo', 'branch'], limit: 6 });
      expect(await counts({ repo: 'w', branch: 'f' })).toEqual([['builds', null, 5]]);
      expect(await counts({ repo: 'w', branch: 'g' })).toEqual([['builds', null, 1]]);
      expect(await sut.port.tryIncrement({ tags: { repo: 'w', branch: 'f' }, counters: 2 })).toMatchObject({ allowed: false, count: 5 });
      expect(await sut.port.tryIncrement({ tags: { repo: 'w', branch: 'f' }, counters: 1 })).toMatchObject({ allowed: true });
    });

    it('computes a new override aggregate over the counters that already exist', async () => {
      await sut.admin.createRule({ name: 'builds', groupBy: ['repo'], limit: 1 });
      await sut.port.set({ tags: { repo: 'w', os: 'mac' }, counters: 4 });
      await sut.port.set({ tags: { repo: 'w', os: 'linux' }, counters: 3 });
      await sut.admin.createOverride({ rule: 'builds', name: 'mac', keyValues: { repo: 'w', os: 'mac' }, limit: 5 });
      expect(await counts({ repo: 'w', os: 'mac' })).toEqual([['builds', 'mac', 4]]);
      expect(await counts({ repo: 'w' })).toEqual([['builds', null, 7]]);
    });

    it('refuses atomically: a refused increment changes no counter and no count', async () => {
      await sut.admin.createRule({ name: 'a_repo', groupBy: ['repo'], limit: 10 });
      await sut.admin.createRule({ name: 'b_os', groupBy: ['os'], limit: 1 });
      await sut.port.tryIncrement({ tags: { repo: 'w', os: 'mac' }, counters: 1 });
      const before = await sut.port.listCounters({}, all);
      const refused = await sut.port.tryIncrement({ tags: { repo: 'w', os: 'mac', n: 2 }, counters: 1 });
      expect(refused).toMatchObject({ allowed: false, rule: 'b_os', override: null, limit: 1, count: 1, keyValues: { os: 'mac' } });
      expect(await sut.port.listCounters({}, all)).toEqual(before);
      expect(await counts({ repo: 'w', os: 'mac' })).toEqual([['a_repo', null, 1], ['b_os', null, 1]]);
    });

    it('removes a counter decremented to 0, and its share of every count', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 5 });
      await sut.port.tryIncrement({ tags: { repo: 'w', os: 'mac' }, counters: 2 });
      expect(await sut.port.decrement({ tags: { repo: 'w', os: 'mac' }, counters: 5 })).toMatchObject({ counters: 0 });
      expect((await sut.port.listCounters({}, all)).items).toEqual([]);
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 0]]);
    });

    it('raises a counter up to the maximum and refuses one past it, changing nothing; lowers it through each step', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: -1 });
      const tags = { repo: 'w', os: 'mac' };
      const batch = Array.from({ length: COUNTER_BATCH_MAX }, () => ({ tags, counters: COUNTERS_MAX }));
      let last: IncrementResult[] = [];
      for (let sum = 0; sum < COUNTER_VALUE_MAX; sum += COUNTER_BATCH_MAX * COUNTERS_MAX) last = await sut.port.tryIncrementMany(batch);
      expect(last.at(-1)).toMatchObject({ allowed: true, counters: COUNTER_VALUE_MAX });
      expect(await codeOf(sut.port.tryIncrement({ tags, counters: 1 }))).toBe('INVALID_INPUT');
      await expect(sut.port.tryIncrement({ tags, counters: 1 })).rejects.toThrow(`would raise the counter to ${COUNTER_VALUE_MAX + 1}`);
      // In a batch, the path names the change that would pass the maximum, and none of the batch is applied.
      const other = { repo: 'w', os: 'ios' };
      const batchError = await sut.port.tryIncrementMany([{ tags: other, counters: 1 }, { tags, counters: 1 }]).catch((e: unknown) => e);
      expect(batchError).toMatchObject({ code: 'INVALID_INPUT', details: { Path: '[1].Counters' } });
      expect((await sut.port.listCounters({}, all)).items).toEqual([{ tags, counters: COUNTER_VALUE_MAX }]);
      expect(await counts({ repo: 'w' })).toEqual([['r', null, COUNTER_VALUE_MAX]]);
      expect(await sut.port.set({ tags, counters: 5 })).toEqual({ tags, counters: 5 });
      expect(await sut.port.decrement({ tags, counters: 2 })).toEqual({ tags, counters: 3 });
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 3]]);
      expect(await sut.port.decrement({ tags, counters: 3 })).toEqual({ tags, counters: 0 });
      expect(await sut.port.decrement({ tags, counters: 1 })).toEqual({ tags, counters: 0 });
      expect((await sut.port.listCounters({}, all)).items).toEqual([]);
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 0]]);
      expect(await sut.port.tryIncrement({ tags, counters: 2 })).toMatchObject({ allowed: true, counters: 2 });
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 2]]);
    });

    it('applies a decrement at most once per opId, answering the current value on a repeat', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 5 });
      const tags = { repo: 'w', os: 'mac' };
      await sut.port.tryIncrement({ tags, counters: 4 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' })).toEqual({ tags, counters: 3 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' })).toEqual({ tags, counters: 3 });
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 3]]);
      await sut.port.tryIncrement({ tags, counters: 1 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' })).toEqual({ tags, counters: 4 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:b' })).toEqual({ tags, counters: 3 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: null })).toEqual({ tags, counters: 2 });
      expect(await sut.port.decrement({ tags, counters: 1 })).toEqual({ tags, counters: 1 });
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 1]]);
    });

    it('judges a tryIncrementMany as single increments, each all-or-nothing (in order where writes are ordered)', async () => {
      await sut.admin.createRule({ name: 'branch', groupBy: ['repo', 'branch'], limit: 2 });
      const a = { repo: 'w', branch: 'a' };
      const verdicts = await sut.port.tryIncrementMany([
        { tags: { ...a, os: 'mac' }, counters: 1 },
        { tags: { ...a, os: 'ios' }, counters: 1 },
        { tags: { ...a, os: 'mac' }, counters: 1 },
        { tags: { repo: 'w', branch: 'b' }, counters: 2 },
      ]);
      const answers = verdicts.map((v) => (v.allowed ? v.counters : `${v.rule}:${v.count}`));
      // A shared store writes the counters of different tags concurrently: which of group a's three is refused varies.
      if (opts.orderedWrites) expect(answers).toEqual([1, 1, 'branch:2', 2]);
      else expect(answers.filter((x) => x === 'branch:2')).toHaveLength(1);
      expect(answers[3]).toBe(2);
      expect(await counts(a)).toEqual([['branch', null, 2]]);
      expect(await counts({ repo: 'w', branch: 'b' })).toEqual([['branch', null, 2]]);
    });

    it('applies a decrementMany pairwise, each opId at most once, and announces what it freed', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 9 });
      await sut.port.tryIncrementMany([{ tags: { repo: 'w', os: 'mac' }, counters: 3 }, { tags: { repo: 'w', os: 'ios' }, counters: 3 }]);
      const freed: unknown[] = [];
      const subscription = sut.port.capacityFreed$.subscribe((e) => freed.push(e.tags));
      const first = await sut.port.decrementMany([
        { tags: { repo: 'w', os: 'mac' }, counters: 1, opId: 'm1' },
        { tags: { repo: 'w', os: 'ios' }, counters: 2, opId: 'i1' },
      ]);
      const again = await sut.port.decrementMany([
        { tags: { repo: 'w', os: 'mac' }, counters: 1, opId: 'm1' },
        { tags: { repo: 'w', os: 'mac' }, counters: 1, opId: null },
      ]);
      subscription.unsubscribe();
      expect(first.map((v) => v.counters)).toEqual([2, 1]);
      expect(again.map((v) => v.counters)).toEqual([2, 1]);
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 2]]);
      expect(freed).toEqual(expect.arrayContaining([{ repo: 'w', os: 'mac' }, { repo: 'w', os: 'ios' }]));
      const bad = await sut.port.decrementMany([{ tags: { repo: 'w' }, counters: 1 }, { tags: { repo: 'w' }, counters: 1, opId: '' }]).catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'INVALID_INPUT', details: { Path: '[1].OpId' } });
    });

    it('takes a tag set it answered with as is when sent again, and checks every set it did not make', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 9 });
      const sent: Record<string, unknown> = { repo: 'w', os: 'mac' };
      const first = await sut.port.tryIncrement({ tags: sent as Tags, counters: 1 });
      expect(first.tags).not.toBe(sent); // a checked copy
      expect(Object.isFrozen(first.tags)).toBe(true);
      const again = await sut.port.tryIncrementMany([{ tags: first.tags, counters: 1 }]);
      expect(again[0].tags).toBe(first.tags);
      const lowered = await sut.port.decrementMany([{ tags: first.tags, counters: 1, opId: null }]);
      expect(lowered).toEqual([{ tags: first.tags, counters: 1 }]);
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 1]]);
      // The caller's own object, changed after it was accepted, is checked again: never taken for the set it held.
      sent.$bad = 1;
      expect(await codeOf(sut.port.tryIncrement({ tags: sent as Tags, counters: 1 }))).toBe('INVALID_INPUT');
      const bad = await sut.port.tryIncrementMany([{ tags: first.tags, counters: 1 }, { tags: first.tags, counters: 0 }]).catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'INVALID_INPUT', details: { Path: '[1].Counters' } });
      const badTags = await sut.port.tryIncrementMany([{ tags: first.tags, counters: 1 }, { tags: {}, counters: 1 }]).catch((e: unknown) => e);
      expect(badTags).toMatchObject({ code: 'INVALID_INPUT', details: { Path: '[1].KeyValues' } });
      expect(await counts({ repo: 'w' })).toEqual([['r', null, 1]]);
    });

    it('applies 20 concurrent decrements with one opId once', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 50 });
      const tags = { repo: 'w' };
      await sut.port.tryIncrement({ tags, counters: 30 });
      await Promise.all(Array.from({ length: 20 }, () => sut.port.decrement({ tags, counters: 1, opId: 'settle:same' })));
      expect((await sut.port.listCounters({}, all)).items).toEqual([{ tags, counters: 29 }]);
      expect(await counts(tags)).toEqual([['r', null, 29]]);
    });

    it('forgets an opId once it is older than its retention, and only then', async () => {
      const clock = new FakeClock();
      sut = await openLimiter(fx.store, { clock });
      const tags = { repo: 'w' };
      await sut.port.set({ tags, counters: 10 });
      await sut.port.decrement({ tags, counters: 1, opId: 'old' });
      clock.advance(DECREMENT_OP_RETENTION_MS);
      await sut.port.decrement({ tags, counters: 1, opId: 'new' });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'old' })).toEqual({ tags, counters: 8 });
      clock.advance(PRUNE_EVERY_MS);
      await sut.port.decrement({ tags, counters: 1, opId: 'newer' }); // a prune is due again: 'old' goes, 'new' stays
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'old' })).toEqual({ tags, counters: 6 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'new' })).toEqual({ tags, counters: 6 });
    });

    if (opts.failableCommits) it('records no opId for a decrement whose commit failed: sending it again applies it', async () => {
      const tags = { repo: 'w' };
      await sut.port.set({ tags, counters: 2 });
      const failed = fx.failNextCommit!();
      expect(await codeOf(sut.port.decrement({ tags, counters: 1, opId: 'settle:a' }))).not.toBe('OK');
      await failed.catch(() => undefined);
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' })).toEqual({ tags, counters: 1 });
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' })).toEqual({ tags, counters: 1 });
    });

    it('never exceeds a limit under 200 concurrent increments over 20 groups', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['group'], limit: 3 });
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => sut.port.tryIncrement({ tags: { group: `g${i % 20}`, job: i }, counters: 1 })),
      );
      expect(results.filter((r) => !r.allowed)).toHaveLength(140);
      for (let g = 0; g < 20; g++) expect(await counts({ group: `g${g}` })).toEqual([['r', null, 3]]);
    });

    it('deletes a rule with its overrides and their aggregates, keeping every counter', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 5 });
      await sut.admin.createOverride({ rule: 'r', name: 'o', keyValues: { repo: 'w', os: 'mac' }, limit: 9 });
      await sut.port.tryIncrement({ tags: { repo: 'w', os: 'mac' }, counters: 2 });
      const [rule] = (await fx.store.loadRules()).rules;
      await sut.admin.deleteRule({ name: 'r' });
      const aggregates = [
        { limitId: rule.id, groupKey: canonicalTags({ repo: 'w' }) },
        { limitId: rule.overrides[0].id, groupKey: canonicalTags({ repo: 'w', os: 'mac' }) },
      ];
      expect(await fx.store.counts(aggregates, await fx.store.rulesVersion())).toEqual([0, 0]);
      expect((await fx.store.loadRules()).rules).toEqual([]);
      expect((await sut.port.listCounters({}, all)).items).toEqual([{ tags: { os: 'mac', repo: 'w' }, counters: 2 }]);
    });

    it('reports duplicates and unknown names with stable codes', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['a', 'b'], limit: 1 });
      expect(await codeOf(sut.admin.createRule({ name: 'r', groupBy: ['c'], limit: 1 }))).toBe('ALREADY_EXISTS');
      expect(await codeOf(sut.admin.createRule({ name: 's', groupBy: ['b', 'a'], limit: 1 }))).toBe('ALREADY_EXISTS');
      expect(await codeOf(sut.admin.createOverride({ rule: 'x', name: 'o', keyValues: { a: 1 }, limit: 1 }))).toBe('RULE_NOT_FOUND');
      expect(await codeOf(sut.admin.createOverride({ rule: 'r', name: 'o', keyValues: { a: 1 }, limit: 1 }))).toBe('INVALID_INPUT');
      await sut.admin.createOverride({ rule: 'r', name: 'o', keyValues: { a: 1, b: 2 }, limit: 1 });
      expect(await codeOf(sut.admin.createOverride({ rule: 'r', name: 'o', keyValues: { a: 1, b: 3 }, limit: 1 }))).toBe('ALREADY_EXISTS');
      expect(await codeOf(sut.admin.createOverride({ rule: 'r', name: 'p', keyValues: { b: 2, a: 1 }, limit: 1 }))).toBe('ALREADY_EXISTS');
      expect(await codeOf(sut.admin.deleteOverride({ rule: 'r', name: 'p' }))).toBe('OVERRIDE_NOT_FOUND');
      expect(await codeOf(sut.admin.updateRuleLimit({ name: 'x', limit: 1 }))).toBe('RULE_NOT_FOUND');
    });

    it('judges counter writes called right after a definition change by the new definitions', async () => {
      await sut.port.set({ tags: { repo: 'w', os: 'mac' }, counters: 1 });
      const created = sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 2 });
      const first = sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 });
      const second = sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 });
      await created;
      // Both are judged by the new rule: one fits (a shared store may run them in either order).
      expect([(await first).allowed, (await second).allowed].sort()).toEqual([false, true]);
      const overridden = sut.admin.createOverride({ rule: 'r', name: 'mac', keyValues: { repo: 'w', os: 'mac' }, limit: 1 });
      const mac = sut.port.tryIncrement({ tags: { repo: 'w', os: 'mac' }, counters: 1 });
      await overridden;
      expect(await mac).toMatchObject({ allowed: false, override: 'mac', count: 1 });
      const deleted = sut.admin.deleteRule({ name: 'r' });
      const free = sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 5 });
      await deleted;
      expect(await free).toMatchObject({ allowed: true });
      await sut.admin.createRule({ name: 'again', groupBy: ['repo'], limit: -1 });
      expect(await counts({ repo: 'w' })).toEqual([['again', null, 7]]);
    });

    it('loads the rules from the tables before serving a call made ahead of start-up', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 1 });
      await sut.admin.createOverride({ rule: 'r', name: 'o', keyValues: { repo: 'w' }, limit: 2 });
      const early = await openLimiter(fx.store, { init: false });
      expect(await early.port.tryIncrement({ tags: { repo: 'v' }, counters: 2 })).toMatchObject({ allowed: false, rule: 'r' });
      const fresh = await openLimiter(fx.store, { init: false });
      expect((await fresh.admin.getRule({ name: 'r' })).overrides).toHaveLength(1);
      const another = await openLimiter(fx.store, { init: false });
      expect(await codeOf(another.admin.createRule({ name: 'r', groupBy: ['x'], limit: 1 }))).toBe('ALREADY_EXISTS');
      expect(await another.port.explain({ tags: { repo: 'w' }, counters: 3 })).toMatchObject({ allowed: false });
    });

    it('changes the rule cache only once a definition change has committed', async () => {
      const created = sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 0 });
      // A read does not wait for the change; on a shared store it may already find it committed.
      const during = await codeOf(sut.admin.getRule({ name: 'r' }));
      expect(opts.orderedWrites === false ? ['RULE_NOT_FOUND', 'OK'] : ['RULE_NOT_FOUND']).toContain(during);
      await created;
      expect(await sut.admin.getRule({ name: 'r' })).toMatchObject({ name: 'r', limit: 0 });
    });

    if (opts.failableCommits) it('leaves the rule cache untouched when the commit of a definition change fails', async () => {
      const created = codeOf(sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 0 }));
      const failing = codeOf(fx.failNextCommit!());
      expect([await created, await failing]).toEqual(['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
      expect(await codeOf(sut.admin.getRule({ name: 'r' }))).toBe('RULE_NOT_FOUND');
      expect(await sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: true });
      expect((await fx.store.loadRules()).rules).toEqual([]);
    });

    if (opts.durable) it('keeps rules, overrides, counters and counts across close and reopen, rebuilding the rule cache', async () => {
      await sut.admin.createRule({ name: 'builds', groupBy: ['repo', 'branch'], limit: 1 });
      await sut.admin.createOverride({ rule: 'builds', name: 'main', keyValues: { repo: 'w', branch: 'main' }, limit: 3 });
      await sut.port.tryIncrement({ tags: { repo: 'w', branch: 'main' }, counters: 2 });
      await sut.port.tryIncrement({ tags: { repo: 'w', branch: 'f' }, counters: 1 });
      const counters = await sut.port.listCounters({}, all);
      sut = await openLimiter(await fx.reopen!());
      expect((await sut.admin.listRules(all)).items).toEqual([
        {
          name: 'builds',
          groupBy: ['repo', 'branch'],
          limit: 1,
          overrides: [{ name: 'main', keyValues: { repo: 'w', branch: 'main' }, limit: 3 }],
        },
      ]);
      expect(await sut.port.listCounters({}, all)).toEqual(counters);
      expect(await sut.port.tryIncrement({ tags: { repo: 'w', branch: 'main' }, counters: 2 })).toMatchObject({ allowed: false, count: 2 });
      expect(await sut.port.tryIncrement({ tags: { repo: 'w', branch: 'f' }, counters: 1 })).toMatchObject({ allowed: false, count: 1 });
    });

    it('allows exactly Limit of 60 concurrent increments of one group, whatever their other tags', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['group'], limit: 3 });
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => sut.port.tryIncrement({ tags: { group: 'g', job: i % 7 }, counters: 1 })),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(3);
      expect(results.filter((r) => !r.allowed)).toEqual(Array.from({ length: 57 }, () => expect.objectContaining({ rule: 'r', count: 3 })));
    });

    it('keeps every aggregate equal to the sum of its counters under concurrent increments, decrements and sets', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['group'], limit: 6 });
      await sut.admin.createOverride({ rule: 'r', name: 'o', keyValues: { group: 'g0', os: 'mac' }, limit: 4 });
      const ops = Array.from({ length: 150 }, (_, i) => {
        const tags = { group: `g${i % 3}`, os: i % 2 ? 'mac' : 'linux', job: i % 5 };
        if (i % 5 === 0) return sut.port.decrement({ tags, counters: 1 });
        if (i % 11 === 0) return sut.port.set({ tags, counters: 2 });
        return sut.port.tryIncrement({ tags, counters: 1 });
      });
      await Promise.all(ops);
      const items = (await sut.port.listCounters({}, all)).items;
      const sum = (match: Record<string, string>) =>
        items.filter((c) => Object.entries(match).every(([k, v]) => c.tags[k] === v)).reduce((n, c) => n + c.counters, 0);
      expect(await counts({ group: 'g0', os: 'mac' })).toEqual([['r', 'o', sum({ group: 'g0', os: 'mac' })]]);
      for (const group of ['g0', 'g1', 'g2']) expect(await counts({ group })).toEqual([['r', null, sum({ group })]]);
    });

    if (opts.durable) it('remembers applied opIds across close and reopen', async () => {
      const tags = { repo: 'w' };
      await sut.port.set({ tags, counters: 3 });
      await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' });
      sut = await openLimiter(await fx.reopen!());
      expect(await sut.port.decrement({ tags, counters: 1, opId: 'settle:a' })).toEqual({ tags, counters: 2 });
    });

    if (opts.durable) it('goes on after a reopen: new definitions take effect and the old ones still hold', async () => {
      await sut.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 2 });
      await sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 2 });
      sut = await openLimiter(await fx.reopen!());
      expect(await sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: false, count: 2 });
      await sut.admin.createOverride({ rule: 'r', name: 'w', keyValues: { repo: 'w' }, limit: 3 });
      expect(await sut.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: true, counters: 3 });
      await sut.admin.createRule({ name: 's', groupBy: ['repo', 'os'], limit: 0 });
      expect(await sut.port.tryIncrement({ tags: { repo: 'v', os: 'x' }, counters: 1 })).toMatchObject({ allowed: false, rule: 's' });
      expect((await sut.admin.listRules(all)).items.map((r) => r.name)).toEqual(['r', 's']);
    });

    describeLimiterEquivalence(make, opts.propertyRuns, opts.orderedWrites ?? true);
  });
}
