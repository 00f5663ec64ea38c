import { InvalidInputError } from '../../common/errors';
import { canonicalTags, type Tags } from '../../common/tags';
import { freedBy } from '../../common/capacity';
import {
  checkAndIncrement,
  decrementCounter,
  groupSums,
  lowerByReadAndWrite,
  raiseByReadAndWrite,
  setCounter,
  type CounterEntry,
  type CounterMove,
  type CounterTable,
} from './counter-ops';
import type { AggregateKey } from './limit-plan';
import { RuleBook, type OverrideDef, type RuleDef } from './rule-book';
import { checkOverrideKeys, parseLimit } from './validate';

/** The domain's CounterTable on two Maps, counting writes and counter reads (each a statement on a store). */
class MemoryTable implements CounterTable {
  readonly counters = new Map<string, number>();
  readonly counts = new Map<string, number>();
  writes = 0;
  reads = 0;
  counter(key: string): number {
    this.reads++;
    return this.counters.get(key) ?? 0;
  }
  writeCounter(key: string, value: number): void {
    this.writes++;
    if (value > 0) this.counters.set(key, value);
    else this.counters.delete(key);
  }
  raiseCounter(key: string, n: number, max: number): number | null {
    return raiseByReadAndWrite(this, key, n, max);
  }
  lowerCounter(key: string, n: number): CounterMove {
    return lowerByReadAndWrite(this, key, n);
  }
  count(a: AggregateKey): number {
    return this.counts.get(`${a.limitId}|${a.groupKey}`) ?? 0;
  }
  addToCount(a: AggregateKey, delta: number): void {
    this.writes++;
    const next = this.count(a) + delta;
    if (next === 0) this.counts.delete(`${a.limitId}|${a.groupKey}`);
    else this.counts.set(`${a.limitId}|${a.groupKey}`, next);
  }
}

let nextId = 1;
function rule(name: string, groupBy: string[], limit: number, overrides: Array<[string, Tags, number]> = []): RuleDef {
  const defs: OverrideDef[] = overrides.map(([n, keyValues, l]) => ({ id: nextId++, name: n, keyValues, limit: l }));
  return { id: nextId++, name, groupBy, limit, overrides: defs };
}

function world(...rules: RuleDef[]) {
  const book = new RuleBook();
  for (const r of rules) book.put(r);
  const table = new MemoryTable();
  return {
    book,
    table,
    inc: (tags: Tags, n = 1) => checkAndIncrement(table, canonicalTags(tags), book.plan(tags), n),
    dec: (tags: Tags, n = 1) => decrementCounter(table, canonicalTags(tags), book.plan(tags), n),
    set: (tags: Tags, value: number) => setCounter(table, canonicalTags(tags), book.plan(tags), value),
    enforced: (tags: Tags) => book.plan(tags).enforced.map((l) => [l.rule, l.override, l.limit]),
  };
}

function times(n: number, fn: () => { allowed: boolean }): boolean[] {
  return Array.from({ length: n }, () => fn().allowed);
}

describe('Limiter semantics (DESIGN §6)', () => {
  describe('1. Limit: -1 unlimited, 0 nothing, n at most n', () => {
    it('lets -1 take any number of counters', () => {
      const w = world(rule('r', ['a'], -1));
      expect(times(1_000, () => w.inc({ a: 1 })).every(Boolean)).toBe(true);
      expect(w.inc({ a: 1 }, 1_000_000).allowed).toBe(true);
    });

    it('refuses the very first increment under 0', () => {
      const w = world(rule('r', ['a'], 0));
      expect(w.inc({ a: 1 })).toMatchObject({ allowed: false, refusal: { rule: 'r', limit: 0, count: 0 } });
    });

    it('allows exactly n under n', () => {
      const w = world(rule('r', ['a'], 3));
      expect(times(5, () => w.inc({ a: 1 }))).toEqual([true, true, true, false, false]);
    });

    it('rejects limits below -1 and above the maximum', () => {
      expect(() => parseLimit(-2, 'Limit')).toThrow(/-1 \(unlimited\)/);
      expect(() => parseLimit(1_000_000_001, 'Limit')).toThrow(InvalidInputError);
      expect(() => parseLimit(1.5, 'Limit')).toThrow(/not a whole number/);
      expect([-1, 0, 1, 1_000_000_000].map((l) => parseLimit(l, 'Limit'))).toEqual([-1, 0, 1, 1_000_000_000]);
    });
  });

  describe('2. a rule applies when every GroupBy key is present', () => {
    const w = world(rule('r', ['repo', 'branch'], 1));

    it('applies with every key, extra keys being fine', () => {
      expect(w.enforced({ repo: 'x', branch: 'b', os: 'linux' })).toEqual([['r', null, 1]]);
    });

    it('does not apply when a key is missing', () => {
      expect(w.enforced({ repo: 'x', os: 'linux' })).toEqual([]);
      expect(times(3, () => w.inc({ repo: 'x' })).every(Boolean)).toBe(true);
    });
  });

  describe('3. an override applies when every one of its KeyValues is present and equal', () => {
    const w = world(rule('r', ['repo'], 1, [['o', { repo: 'w', os: 'mac' }, 5]]));

    it('applies on equal values of all its keys, extra keys included', () => {
      expect(w.enforced({ repo: 'w', os: 'mac', arch: 'arm' })).toEqual([['r', 'o', 5]]);
    });

    it('does not apply when an extra key is missing or differs, nor across types', () => {
      expect(w.enforced({ repo: 'w' })).toEqual([['r', null, 1]]);
      expect(w.enforced({ repo: 'w', os: 'linux' })).toEqual([['r', null, 1]]);
      const typed = world(rule('t', ['n'], 1, [['one', { n: 1 }, 7]]));
      expect(typed.enforced({ n: '1' })).toEqual([['t', null, 1]]);
      expect(typed.enforced({ n: 1 })).toEqual([['t', 'one', 7]]);
    });

    it('must contain every GroupBy key of its rule, naming the missing ones', () => {
      const r = { name: 'builds', groupBy: ['repo', 'branch'] };
      expect(() => checkOverrideKeys(r, { repo: 'w' }, 'KeyValues')).toThrow(/"branch" of rule "builds"/);
      expect(() => checkOverrideKeys(r, { repo: 'w', branch: 'm', os: 'x' }, 'KeyValues')).not.toThrow();
    });
  });

  describe('4. applying overrides replace the rule limit; every applying limit is enforced', () => {
    it('ignores the rule limit when an override applies', () => {
      const w = world(rule('r', ['repo'], 1, [['big', { repo: 'w' }, 3]]));
      expect(times(4, () => w.inc({ repo: 'w' }))).toEqual([true, true, true, false]);
      expect(times(2, () => w.inc({ repo: 'other' }))).toEqual([true, false]);
    });

    it('enforces every applying override, so the strictest decides', () => {
      const w = world(rule('r', ['repo'], 100, [['a', { repo: 'w', os: 'mac' }, 5], ['b', { repo: 'w', arch: 'arm' }, 2]]));
      expect(w.enforced({ repo: 'w', os: 'mac', arch: 'arm' })).toEqual([['r', 'a', 5], ['r', 'b', 2]]);
      expect(times(3, () => w.inc({ repo: 'w', os: 'mac', arch: 'arm' }))).toEqual([true, true, false]);
      expect(w.inc({ repo: 'w', os: 'mac', arch: 'arm' })).toMatchObject({ allowed: false, refusal: { override: 'b', count: 2 } });
    });

    it('enforces every applying rule, and reports refusals by rule name', () => {
      const w = world(rule('z_branch', ['repo', 'branch'], 1), rule('a_ios', ['ios'], 2));
      expect(w.inc({ repo: 'x', branch: 'f', ios: true }).allowed).toBe(true);
      expect(w.inc({ repo: 'x', branch: 'f', ios: true })).toMatchObject({ allowed: false, refusal: { rule: 'z_branch' } });
      expect(w.inc({ repo: 'y', branch: 'f', ios: true }).allowed).toBe(true);
      expect(w.inc({ repo: 'z', branch: 'f', ios: true })).toMatchObject({ allowed: false, refusal: { rule: 'a_ios', count: 2 } });
    });
  });

  describe('5. count is the sum of all counters sharing the limit key values', () => {
    it('sums counters that differ outside the GroupBy', () => {
      const w = world(rule('r', ['repo'], 5));
      expect(w.inc({ repo: 'w', os: 'linux' }, 2).allowed).toBe(true);
      expect(w.inc({ repo: 'w', os: 'mac' }, 2).allowed).toBe(true);
      expect(w.inc({ repo: 'w' }, 2)).toMatchObject({ allowed: false, refusal: { count: 4, limit: 5 } });
      expect(w.inc({ repo: 'w' }, 1).allowed).toBe(true);
      expect(w.inc({ repo: 'v' }, 5).allowed).toBe(true);
    });

    it('computes the same sums from scratch for a new rule', () => {
      const counters: CounterEntry[] = [
        { tags: { repo: 'w', os: 'linux' }, counters: 2 },
        { tags: { repo: 'w', os: 'mac' }, counters: 3 },
        { tags: { os: 'mac' }, counters: 7 },
      ];
      expect(groupSums(['repo'], counters)).toEqual(new Map([[canonicalTags({ repo: 'w' }), 5]]));
    });
  });

  describe('6. all-or-nothing increments, unchecked decrements, counters outlive rules', () => {
    it('changes nothing on a refusal', () => {
      const w = world(rule('a', ['repo'], 10), rule('b', ['os'], 1));
      w.inc({ repo: 'w', os: 'mac' });
      const before = { counters: new Map(w.table.counters), counts: new Map(w.table.counts), writes: w.table.writes };
      expect(w.inc({ repo: 'w', os: 'mac' }).allowed).toBe(false);
      expect(w.table).toMatchObject(before);
    });

    it('decrements without checking limits, never below 0, removing a counter at 0', () => {
      const w = world(rule('r', ['repo'], 0));
      expect(w.set({ repo: 'w' }, 4)).toEqual({ previous: 0, counters: 4 });
      expect(w.dec({ repo: 'w' }, 3)).toEqual({ previous: 4, counters: 1 });
      expect(w.dec({ repo: 'w' }, 5)).toEqual({ previous: 1, counters: 0 });
      expect(w.table.counters.size).toBe(0);
      expect(w.table.counts.size).toBe(0);
      expect(w.dec({ repo: 'unknown' })).toEqual({ previous: 0, counters: 0 });
    });

    it('reads a counter once per increment, decrement or set', () => {
      const w = world(rule('r', ['repo'], 10));
      for (const step of [() => w.inc({ repo: 'w' }, 2), () => w.dec({ repo: 'w' }), () => w.set({ repo: 'w' }, 5), () => w.dec({ repo: 'w' }, 9)]) {
        const before = w.table.reads;
        step();
        expect(w.table.reads - before).toBe(1);
      }
    });

    it('keeps counters when a rule is deleted', () => {
      const w = world(rule('r', ['repo'], 2));
      w.inc({ repo: 'w' });
      w.book.delete('r');
      expect(w.table.counters.get(canonicalTags({ repo: 'w' }))).toBe(1);
      expect(w.inc({ repo: 'w' }, 50).allowed).toBe(true);
    });
  });

  describe('7. check-and-increment is one step on one table', () => {
    it('admits exactly the limit per group out of 200 increments over 20 groups', () => {
      const w = world(rule('r', ['g'], 3));
      const results = Array.from({ length: 200 }, (_, i) => ({ g: i % 20, ok: w.inc({ g: i % 20, n: i }).allowed }));
      expect(results.filter((r) => !r.ok)).toHaveLength(140);
      for (let g = 0; g < 20; g++) expect(results.filter((r) => r.g === g && r.ok)).toHaveLength(3);
    });
  });

  describe('8. capacity-freed events', () => {
    it('are published only when a counter went down', () => {
      const tags = { repo: 'w' };
      expect(freedBy(tags, { previous: 3, counters: 2 })).toEqual({ tags });
      expect(freedBy(tags, { previous: 0, counters: 0 })).toBeNull();
      expect(freedBy(tags, { previous: 1, counters: 4 })).toBeNull();
    });
  });
});
