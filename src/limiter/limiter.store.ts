import type { Tags } from '../common/tags';
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
  /** The rules version the plan was made with (see `RuleSet.version`). */
  readonly version: number;
  /** The change's place in a batch command, named in the path of an error it causes (`[3].Counters`). */
  readonly at?: number;
}

/** A decrement with its idempotency key (see `LimiterStore.decrement`). */
export interface PlannedDecrement extends PlannedChange {
  /** Applied at most once per opId; null: applied every time. */
  readonly opId: string | null;
  /** Epoch ms (the service's clock): when the opId is recorded; opIds recorded before `now - retentionMs` may go. */
  readonly now: number;
  readonly retentionMs: number;
}

/** A decrement's outcome; `repeated`: its opId had already been applied, so nothing changed (previous = counters). */
export interface DecrementMove extends CounterMove {
  readonly repeated: boolean;
}

/**
 * What a counter operation answers instead of acting when the rules changed since its plan was made (on another
 * instance, or by a change whose commit failed): the caller reloads its rules and plans again.
 */
export const STALE_PLAN = Symbol('StalePlan');
export type Planned<T> = T | typeof STALE_PLAN;

/** Every rule with its overrides, as of one rules version. */
export interface RuleSet {
  /** Rises with every committed definition change (never reused), so a plan can name the rules it was made with. */
  readonly version: number;
  readonly rules: RuleDef[];
}

/** A committed definition change: the rules version it produced, and the rule after it (null: the rule was deleted). */
export interface RuleChange<R extends RuleDef | null = RuleDef> {
  readonly version: number;
  readonly rule: R;
}

export interface StoredCounter {
  readonly key: string;
  readonly counters: number;
}

/** What other instances sharing the store did (never this instance's own writes). */
export interface PeerListener {
  /** A counter of `tags` went down on another instance; `null`: some counters went down. */
  freed(tags: Tags | null): void;
  /** Another instance committed a definition change, producing `version`. */
  rulesChanged(version: number): void;
  /** Notifications may have been missed (the listening connection was re-established): re-check everything. */
  resync(): void;
}

/** Present on stores shared by several instances (PostgreSQL); absent on the single-process embedded store. */
export interface SharedLimiterStore {
  /** Starts delivering other instances' changes to `listener`. */
  watch(listener: PeerListener): Promise<void>;
}

/**
 * Durable state of the Limiter: rules, overrides, counters and one aggregate count per (limit, group of key values),
 * so a check-and-increment costs O(applying limits) whatever the number of counters. Every method is ONE atomic
 * transaction. Every definition change raises the rules version; every counter operation takes the version its
 * plan was made with and answers STALE_PLAN, changing nothing, when the committed rules are of another version, so
 * a counter write is never judged by rules other than the committed ones, whichever instance changed them. The
 * embedded store also runs writes in the order they are called; a shared store runs concurrent calls concurrently.
 */
export interface LimiterStore {
  /** Set when other instances share this store; the module then follows their changes. */
  readonly shared?: SharedLimiterStore;
  /** Every rule with its overrides and the version they make up, read consistently. */
  loadRules(): Promise<RuleSet>;
  /** The committed rules version (cheap: lets readers check their cached rules are current). */
  rulesVersion(): Promise<number>;
  /** Inserts a rule and, in the same transaction, its aggregates over the existing counters. ALREADY_EXISTS for a
   * taken name or a GroupBy set another rule already has. */
  createRule(rule: NewRule): Promise<RuleChange>;
  /** Inserts an override and its aggregate over existing counters; returns its rule. RULE_NOT_FOUND; INVALID_INPUT
   * when KeyValues lack a GroupBy key; ALREADY_EXISTS for a taken name or identical KeyValues under the rule. */
  createOverride(rule: string, override: NewOverride): Promise<RuleChange>;
  /** Changes a limit (aggregates stay); returns the rule. RULE_NOT_FOUND, OVERRIDE_NOT_FOUND. */
  setLimit(ref: LimitRef, limit: number): Promise<RuleChange>;
  /** Deletes a rule (with its overrides) or one override, and their aggregates; counters are never touched.
   * Returns the rule after the change, or null when the rule itself was deleted. */
  remove(ref: LimitRef): Promise<RuleChange<RuleDef | null>>;
  /** Check-and-increment in one transaction, atomic against every other writer of the store (every instance):
   * refuses, changing nothing, unless every enforced limit fits. */
  tryIncrement(change: PlannedChange): Promise<Planned<IncrementOutcome>>;
  /**
   * Subtracts (never below 0; a counter at 0 is removed). With an opId: in the same transaction, records it, or finds
   * it recorded and changes nothing (`repeated`, answering the current value); recorded opIds older than
   * `now - retentionMs` are pruned as they age, so the record stays bounded.
   */
  decrement(change: PlannedDecrement): Promise<Planned<DecrementMove>>;
  /** Several `tryIncrement`s, applied in order (in one transaction where the store can), answered pairwise. */
  tryIncrementMany(changes: readonly PlannedChange[]): Promise<Array<Planned<IncrementOutcome>>>;
  /** Several `decrement`s, applied in order (in one transaction where the store can), answered pairwise. */
  decrementMany(changes: readonly PlannedDecrement[]): Promise<Array<Planned<DecrementMove>>>;
  /** Sets exactly, with no limit check. */
  set(change: PlannedChange): Promise<Planned<CounterMove>>;
  /** Current aggregates, 0 for absent ones (committed state), when the rules are still of `version`. */
  counts(aggregates: readonly AggregateKey[], version: number): Promise<Planned<number[]>>;
  /** Counters ordered by key (code-point order), strictly after `afterKey`. */
  listCounters(afterKey: string | null, limit: number): Promise<StoredCounter[]>;
}

export const LIMITER_STORE = Symbol('LimiterStore');
