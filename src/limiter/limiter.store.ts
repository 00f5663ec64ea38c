import type { CounterMove, IncrementOutcome } from './domain/counter-ops';
import type { AggregateKey, LimitPlan } from './domain/limit-plan';
import type { RuleDef } from './domain/rule-book';
import type { NewOverride, NewRule } from './domain/validate';

/** Names a rule's own limit (`override: null`) or one of its overrides. */
export interface LimitRef {
  readonly rule: string;
  readonly override: string | null;
}

/** A counter change with the plan the service computed from its rules for the counter's tags. */
export interface PlannedChange {
  /** Canonical encoding of the counter's tags. */
  readonly key: string;
  readonly plan: LimitPlan;
  /** How many to add (increment), subtract (decrement) or the exact value (set). */
  readonly counters: number;
}

export interface StoredCounter {
  readonly key: string;
  readonly counters: number;
}

/**
 * Durable state of the Limiter: rules, overrides, counters and one aggregate count per (limit, group of key values),
 * so a check-and-increment costs O(applying limits) whatever the number of counters. Every write is ONE atomic
 * transaction, and writes run in the order they are called (the service relies on it to keep its rule cache in
 * step: a counter write called before a rule change commits no later than it).
 */
export interface LimiterStore {
  /** Every rule with its overrides; the service rebuilds its cache from this on start. */
  loadRules(): Promise<RuleDef[]>;
  /** Inserts a rule and, in the same transaction, its aggregates over the existing counters. ALREADY_EXISTS for a
   * taken name or a GroupBy set another rule already has. */
  createRule(rule: NewRule): Promise<RuleDef>;
  /** Inserts an override and its aggregate over existing counters; returns its rule. RULE_NOT_FOUND; INVALID_INPUT
   * when KeyValues lack a GroupBy key; ALREADY_EXISTS for a taken name or identical KeyValues under the rule. */
  createOverride(rule: string, override: NewOverride): Promise<RuleDef>;
  /** Changes a limit (aggregates stay); returns the rule. RULE_NOT_FOUND, OVERRIDE_NOT_FOUND. */
  setLimit(ref: LimitRef, limit: number): Promise<RuleDef>;
  /** Deletes a rule (with its overrides) or one override, and their aggregates; counters are never touched.
   * Returns the rule after the change, or null when the rule itself was deleted. */
  remove(ref: LimitRef): Promise<RuleDef | null>;
  /** Check-and-increment in one transaction: refuses, changing nothing, unless every enforced limit fits. */
  tryIncrement(change: PlannedChange): Promise<IncrementOutcome>;
  /** Subtracts (never below 0; a counter at 0 is removed). */
  decrement(change: PlannedChange): Promise<CounterMove>;
  /** Sets exactly, with no limit check. */
  set(change: PlannedChange): Promise<CounterMove>;
  /** Current aggregates, 0 for absent ones (committed state). */
  counts(aggregates: readonly AggregateKey[]): Promise<number[]>;
  /** Counters ordered by key (code-point order), strictly after `afterKey`. */
  listCounters(afterKey: string | null, limit: number): Promise<StoredCounter[]>;
}

export const LIMITER_STORE = Symbol('LimiterStore');
