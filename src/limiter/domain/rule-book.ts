import { limitGroup } from '../../common/capacity';
import { canonicalTags, compareCodePoints, type Tags } from '../../common/tags';
import type { AggregateKey, EnforcedLimit, LimitPlan } from './limit-plan';

export interface OverrideDef {
  readonly id: number;
  readonly name: string;
  readonly keyValues: Tags;
  readonly limit: number;
}

/** A rule with its overrides as the store keeps them; ids name aggregates and are never reused. */
export interface RuleDef {
  readonly id: number;
  readonly name: string;
  readonly groupBy: readonly string[];
  readonly limit: number;
  readonly overrides: readonly OverrideDef[];
}

interface IndexedOverride {
  readonly def: OverrideDef;
  /** Canonical encoding of the override's KeyValues: the one group its aggregate counts. */
  readonly groupKey: string;
  /** Keys beyond the rule's GroupBy, which the incoming tags must also match. */
  readonly extraKeys: readonly string[];
}

interface IndexedRule {
  readonly def: RuleDef;
  /** The GroupBy key this rule is filed under; a rule can apply only to tags that hold it. */
  readonly anchor: string;
  /** Overrides by the canonical projection of their KeyValues on the GroupBy, so finding them costs one lookup. */
  readonly overridesByGroup: ReadonlyMap<string, readonly IndexedOverride[]>;
}

/**
 * The rules and overrides, indexed so that planning an increment costs O(applying rules and overrides), not
 * O(all rules): each rule is filed under one of its GroupBy keys (the one with the fewest rules so far), and only
 * the buckets of the incoming tags' keys are visited.
 */
export class RuleBook {
  private readonly rules = new Map<string, IndexedRule>();
  private readonly byAnchor = new Map<string, Map<string, IndexedRule>>();
  private sorted: readonly RuleDef[] | null = null;

  get size(): number {
    return this.rules.size;
  }

  /** Adds a rule or replaces the one with its name (overrides included). */
  put(rule: RuleDef): void {
    this.delete(rule.name);
    const overrides = [...rule.overrides].sort((a, b) => compareCodePoints(a.name, b.name));
    const def: RuleDef = { ...rule, overrides };
    const indexed: IndexedRule = { def, anchor: this.pickAnchor(def.groupBy), overridesByGroup: indexOverrides(def) };
    this.rules.set(def.name, indexed);
    let bucket = this.byAnchor.get(indexed.anchor);
    if (!bucket) this.byAnchor.set(indexed.anchor, (bucket = new Map()));
    bucket.set(def.name, indexed);
    this.sorted = null;
  }

  delete(name: string): void {
    const indexed = this.rules.get(name);
    if (!indexed) return;
    this.rules.delete(name);
    const bucket = this.byAnchor.get(indexed.anchor)!;
    bucket.delete(name);
    if (bucket.size === 0) this.byAnchor.delete(indexed.anchor);
    this.sorted = null;
  }

  get(name: string): RuleDef | undefined {
    return this.rules.get(name)?.def;
  }

  /** Every rule, sorted by name in code-point order. */
  list(): readonly RuleDef[] {
    this.sorted ??= [...this.rules.values()].map((r) => r.def).sort((a, b) => compareCodePoints(a.name, b.name));
    return this.sorted;
  }

  /**
   * DESIGN §6.2–4: a rule applies when every GroupBy key is present; an override applies when every one of its
   * KeyValues is present with an equal value; applying overrides replace their rule's own limit, and every one of
   * them is enforced. Every applying rule and override is `touched` (its aggregate includes the counter).
   */
  plan(tags: Tags): LimitPlan {
    const touched: AggregateKey[] = [];
    const enforced: EnforcedLimit[] = [];
    for (const key of Object.keys(tags)) {
      const bucket = this.byAnchor.get(key);
      if (bucket) for (const rule of bucket.values()) planRule(rule, tags, touched, enforced);
    }
    enforced.sort(byRuleThenOverride);
    return { touched, enforced };
  }

  private pickAnchor(groupBy: readonly string[]): string {
    let best = groupBy[0];
    for (const key of groupBy) {
      const size = this.byAnchor.get(key)?.size ?? 0;
      const bestSize = this.byAnchor.get(best)?.size ?? 0;
      if (size < bestSize || (size === bestSize && compareCodePoints(key, best) < 0)) best = key;
    }
    return best;
  }
}

function planRule(rule: IndexedRule, tags: Tags, touched: AggregateKey[], enforced: EnforcedLimit[]): void {
  const { def } = rule;
  // Most rules filed under a key of the tags still lack another key: reject them before allocating anything.
  for (const key of def.groupBy) if (!Object.hasOwn(tags, key)) return;
  const group = limitGroup(tags, def.groupBy)!;
  const groupKey = canonicalTags(group);
  touched.push({ limitId: def.id, groupKey });
  const applying = (rule.overridesByGroup.get(groupKey) ?? []).filter((o) =>
    o.extraKeys.every((key) => Object.hasOwn(tags, key) && tags[key] === o.def.keyValues[key]),
  );
  if (applying.length === 0) {
    enforced.push({ limitId: def.id, groupKey, rule: def.name, override: null, groupBy: def.groupBy, keyValues: group, limit: def.limit });
    return;
  }
  for (const o of applying) {
    touched.push({ limitId: o.def.id, groupKey: o.groupKey });
    enforced.push({
      limitId: o.def.id,
      groupKey: o.groupKey,
      rule: def.name,
      override: o.def.name,
      groupBy: def.groupBy,
      keyValues: o.def.keyValues,
      limit: o.def.limit,
    });
  }
}

function indexOverrides(rule: RuleDef): Map<string, IndexedOverride[]> {
  const byGroup = new Map<string, IndexedOverride[]>();
  for (const def of rule.overrides) {
    const group = limitGroup(def.keyValues, rule.groupBy);
    if (!group) continue; // cannot happen for validated overrides; such an override could never apply
    const key = canonicalTags(group);
    const extraKeys = Object.keys(def.keyValues).filter((k) => !rule.groupBy.includes(k));
    const list = byGroup.get(key) ?? [];
    list.push({ def, groupKey: canonicalTags(def.keyValues), extraKeys });
    byGroup.set(key, list);
  }
  return byGroup;
}

function byRuleThenOverride(a: EnforcedLimit, b: EnforcedLimit): number {
  return compareCodePoints(a.rule, b.rule) || compareCodePoints(a.override ?? '', b.override ?? '');
}
