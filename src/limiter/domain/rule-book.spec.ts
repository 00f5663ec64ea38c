import { canonicalTags, type Tags } from '../../common/tags';
import { RuleBook, type RuleDef } from './rule-book';

let nextId = 1;
function rule(name: string, groupBy: string[], limit = 1, overrides: Array<[string, Tags]> = []): RuleDef {
  return { id: nextId++, name, groupBy, limit, overrides: overrides.map(([n, keyValues]) => ({ id: nextId++, name: n, keyValues, limit: 9 })) };
}

/** Tags behind a Proxy that counts every look at them: the work a plan does on the incoming tags. */
function counted(tags: Tags): { tags: Tags; looks: () => number } {
  let looks = 0;
  const proxy = new Proxy(tags, {
    get: (t, k) => (looks++, Reflect.get(t, k)),
    has: (t, k) => (looks++, Reflect.has(t, k)),
    getOwnPropertyDescriptor: (t, k) => (looks++, Reflect.getOwnPropertyDescriptor(t, k)),
    ownKeys: (t) => (looks++, Reflect.ownKeys(t)),
  });
  return { tags: proxy, looks: () => looks };
}

describe(RuleBook.name, () => {
  it('lists rules by name in code-point order and forgets deleted ones', () => {
    const sut = new RuleBook();
    for (const name of ['b', 'a', '\u{1F600}', '\uFF01', 'B']) sut.put(rule(name, ['k']));
    expect(sut.list().map((r) => r.name)).toEqual(['B', 'a', 'b', '\uFF01', '\u{1F600}']);
    sut.delete('a');
    sut.delete('missing');
    expect(sut.list().map((r) => r.name)).toEqual(['B', 'b', '\uFF01', '\u{1F600}']);
    expect(sut.size).toBe(4);
  });

  it('replaces a rule by name, overrides included, and sorts its overrides by name', () => {
    const sut = new RuleBook();
    sut.put(rule('r', ['repo'], 1, [['z', { repo: 'a' }]]));
    sut.put(rule('r', ['repo'], 2, [['y', { repo: 'b' }], ['x', { repo: 'c' }]]));
    expect(sut.get('r')).toMatchObject({ limit: 2, overrides: [{ name: 'x' }, { name: 'y' }] });
    expect(sut.plan({ repo: 'a' }).enforced).toMatchObject([{ override: null, limit: 2 }]);
    expect(sut.size).toBe(1);
  });

  it('plans every applying rule and override, touching overridden rules too', () => {
    const sut = new RuleBook();
    const r = rule('r', ['repo', 'branch'], 1, [['main', { repo: 'w', branch: 'main' }]]);
    sut.put(r);
    const plan = sut.plan({ repo: 'w', branch: 'main', os: 'mac' });
    expect(plan.touched).toEqual([
      { limitId: r.id, groupKey: canonicalTags({ branch: 'main', repo: 'w' }) },
      { limitId: r.overrides[0].id, groupKey: canonicalTags({ repo: 'w', branch: 'main' }) },
    ]);
    expect(plan.enforced).toEqual([
      expect.objectContaining({ rule: 'r', override: 'main', limit: 9, keyValues: { repo: 'w', branch: 'main' } }),
    ]);
  });

  it('gives the incoming tags projected on the GroupBy as the key values of a rule limit', () => {
    const sut = new RuleBook();
    sut.put(rule('r', ['branch', 'repo']));
    expect(sut.plan({ repo: 'w', branch: 'f', os: 'x' }).enforced[0].keyValues).toEqual({ repo: 'w', branch: 'f' });
  });

  it('finds a rule whatever key it is filed under', () => {
    const sut = new RuleBook();
    // The second and third rules are filed under less crowded keys than "a".
    sut.put(rule('r1', ['a']));
    sut.put(rule('r2', ['a', 'b']));
    sut.put(rule('r3', ['c', 'a']));
    expect(sut.plan({ a: 1, b: 2, c: 3 }).enforced.map((l) => l.rule)).toEqual(['r1', 'r2', 'r3']);
    expect(sut.plan({ a: 1, c: 3 }).enforced.map((l) => l.rule)).toEqual(['r1', 'r3']);
    expect(sut.plan({ b: 2, c: 3 }).enforced).toEqual([]);
  });

  it('plans at a cost independent of the rules and overrides that cannot apply', () => {
    const looksWith = (unrelatedRules: number, unrelatedOverrides: number): number => {
      const sut = new RuleBook();
      sut.put(rule('builds', ['repo', 'branch'], 1, [['main', { repo: 'w', branch: 'main' }]]));
      for (let i = 0; i < unrelatedRules; i++) sut.put(rule(`other_${i}`, [`key_${i}`, 'repo']));
      const overrides = Array.from({ length: unrelatedOverrides }, (_, i): [string, Tags] => [`o${i}`, { repo: `r${i}`, branch: 'x', os: 'mac' }]);
      sut.put(rule('crowded', ['repo', 'branch', 'os'], 1, overrides));
      const probe = counted({ repo: 'w', branch: 'main', os: 'mac' });
      const plan = sut.plan(probe.tags);
      expect(plan.enforced.map((l) => [l.rule, l.override])).toEqual([['builds', 'main'], ['crowded', null]]);
      return probe.looks();
    };
    expect(looksWith(10_000, 5_000)).toBe(looksWith(10, 5));
  });
});
