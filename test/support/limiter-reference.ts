import { canonicalTags, compareCodePoints, type Tags } from '../../src/common/tags';
import type { CounterValue, Explanation, IncrementResult, LimitCheck } from '../../src/limiter';

interface RefOverride {
  readonly name: string;
  readonly keyValues: Tags;
  limit: number;
}

interface RefRule {
  readonly name: string;
  readonly groupBy: readonly string[];
  limit: number;
  readonly overrides: RefOverride[];
}

class RefError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * The Limiter by brute force, straight from DESIGN §6: no index and no aggregate; every count is recomputed from
 * every counter. Mutators throw `{code}` like the real one (only the code is compared).
 */
export class ReferenceLimiter {
  private readonly rules = new Map<string, RefRule>();
  private readonly counters = new Map<string, { tags: Tags; counters: number }>();

  createRule(name: string, groupBy: readonly string[], limit: number): void {
    const set = JSON.stringify([...groupBy].sort(compareCodePoints));
    const sameSet = [...this.rules.values()].some((r) => JSON.stringify([...r.groupBy].sort(compareCodePoints)) === set);
    if (this.rules.has(name) || sameSet) throw new RefError('ALREADY_EXISTS');
    this.rules.set(name, { name, groupBy, limit, overrides: [] });
  }

  deleteRule(name: string): void {
    if (!this.rules.delete(name)) throw new RefError('RULE_NOT_FOUND');
  }

  updateRule(name: string, limit: number): void {
    this.rule(name).limit = limit;
  }

  createOverride(ruleName: string, name: string, keyValues: Tags, limit: number): void {
    const rule = this.rule(ruleName);
    if (!rule.groupBy.every((k) => Object.hasOwn(keyValues, k))) throw new RefError('INVALID_INPUT');
    const same = rule.overrides.some((o) => o.name === name || canonicalTags(o.keyValues) === canonicalTags(keyValues));
    if (same) throw new RefError('ALREADY_EXISTS');
    rule.overrides.push({ name, keyValues, limit });
  }

  updateOverride(ruleName: string, name: string, limit: number): void {
    this.override(ruleName, name).limit = limit;
  }

  deleteOverride(ruleName: string, name: string): void {
    const rule = this.rule(ruleName);
    this.override(ruleName, name);
    rule.overrides.splice(rule.overrides.findIndex((o) => o.name === name), 1);
  }

  tryIncrement(tags: Tags, n: number): IncrementResult {
    const refusal = this.explain(tags, n).limits.find((l) => !l.allowed);
    if (!refusal) return { allowed: true, tags, counters: this.put(tags, this.value(tags) + n) };
    const keys = refusal.override === null ? refusal.groupBy : Object.keys(this.override(refusal.rule, refusal.override).keyValues);
    const keyValues = Object.fromEntries(keys.map((k) => [k, tags[k]]));
    const { rule, override, limit, count } = refusal;
    return { allowed: false, tags, rule, override, limit, count, keyValues };
  }

  decrement(tags: Tags, n: number): CounterValue {
    return { tags, counters: this.put(tags, Math.max(0, this.value(tags) - n)) };
  }

  set(tags: Tags, n: number): CounterValue {
    return { tags, counters: this.put(tags, n) };
  }

  explain(tags: Tags, n: number): Explanation {
    const limits: LimitCheck[] = [];
    const rules = [...this.rules.values()].sort((a, b) => compareCodePoints(a.name, b.name));
    for (const rule of rules.filter((r) => r.groupBy.every((k) => Object.hasOwn(tags, k)))) {
      const applying = rule.overrides
        .filter((o) => holds(tags, o.keyValues))
        .sort((a, b) => compareCodePoints(a.name, b.name));
      const enforced = applying.length > 0 ? applying : [null];
      for (const o of enforced) {
        const keys = o ? Object.keys(o.keyValues) : rule.groupBy;
        const count = [...this.counters.values()].filter((c) => keys.every((k) => Object.hasOwn(c.tags, k) && c.tags[k] === tags[k]))
          .reduce((sum, c) => sum + c.counters, 0);
        const limit = o ? o.limit : rule.limit;
        const allowed = limit === -1 || (limit > 0 && count + n <= limit);
        limits.push({ rule: rule.name, override: o ? o.name : null, groupBy: rule.groupBy, limit, count, allowed });
      }
    }
    return { tags, allowed: limits.every((l) => l.allowed), limits };
  }

  /** Every counter, sorted by canonical tags. */
  listCounters(): CounterValue[] {
    return [...this.counters.entries()]
      .sort(([a], [b]) => compareCodePoints(a, b))
      .map(([, c]) => ({ tags: c.tags, counters: c.counters }));
  }

  private value(tags: Tags): number {
    return this.counters.get(canonicalTags(tags))?.counters ?? 0;
  }

  private put(tags: Tags, value: number): number {
    if (value === 0) this.counters.delete(canonicalTags(tags));
    else this.counters.set(canonicalTags(tags), { tags, counters: value });
    return value;
  }

  private rule(name: string): RefRule {
    const rule = this.rules.get(name);
    if (!rule) throw new RefError('RULE_NOT_FOUND');
    return rule;
  }

  private override(ruleName: string, name: string): RefOverride {
    const override = this.rule(ruleName).overrides.find((o) => o.name === name);
    if (!override) throw new RefError('OVERRIDE_NOT_FOUND');
    return override;
  }
}

function holds(tags: Tags, keyValues: Tags): boolean {
  return Object.keys(keyValues).every((k) => Object.hasOwn(tags, k) && tags[k] === keyValues[k]);
}
