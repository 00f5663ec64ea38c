import type { Tags } from '../../common/tags';

/** One aggregate count: a limit (rule or override, by id) and the canonical key values it groups by. */
export interface AggregateKey {
  readonly limitId: number;
  readonly groupKey: string;
}

/** A limit enforced on an increment: the rule's own (override null) or one applying override's. */
export interface EnforcedLimit extends AggregateKey {
  readonly rule: string;
  readonly override: string | null;
  /** The rule's GroupBy keys. */
  readonly groupBy: readonly string[];
  /** The incoming tags projected on this limit's keys (the rule's GroupBy, or every key of the override). */
  readonly keyValues: Tags;
  readonly limit: number;
}

/** What a counter's tags mean for the limits, computed from the rules alone (no counts). */
export interface LimitPlan {
  /** Every aggregate that includes this counter: each applying rule's and each applying override's. */
  readonly touched: readonly AggregateKey[];
  /** The limits enforced, ordered by rule name, then override name (the order refusals are reported in). */
  readonly enforced: readonly EnforcedLimit[];
}

export interface CheckedLimit extends EnforcedLimit {
  /** The aggregate before the requested change. */
  readonly count: number;
  readonly allowed: boolean;
}

export interface Verdict {
  readonly allowed: boolean;
  readonly checks: readonly CheckedLimit[];
  /** The first refusing limit in plan order; null when allowed. */
  readonly refusal: CheckedLimit | null;
}

/** DESIGN §6.1 and §6.5: -1 is unlimited; otherwise `count + n` must stay within the limit, so 0 refuses at once. */
export function fits(limit: number, count: number, n: number): boolean {
  return limit === -1 || (limit > 0 && count + n <= limit);
}

/** Judges an increment by `n` given the count of every enforced limit (`counts[i]` belongs to `plan.enforced[i]`). */
export function evaluate(plan: LimitPlan, counts: readonly number[], n: number): Verdict {
  if (counts.length !== plan.enforced.length) {
    throw new RangeError(`evaluate needs one count per enforced limit: ${plan.enforced.length} limits, ${counts.length} counts`);
  }
  const checks = plan.enforced.map((limit, i) => ({ ...limit, count: counts[i], allowed: fits(limit.limit, counts[i], n) }));
  const refusal = checks.find((check) => !check.allowed) ?? null;
  return { allowed: refusal === null, checks, refusal };
}
