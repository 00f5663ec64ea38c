import type { Observable } from 'rxjs';
import type { Page, PageRequest } from '../common/page';
import type { Query } from '../common/query';
import type { CapacityFreed } from '../common/capacity';
import type { Tags } from '../common/tags';

/** A limit that applies to a counter's tags: the rule's own, or one of its overrides. */
export interface LimitCheck {
  readonly rule: string;
  /** The override that set this limit; null when the rule's own limit applies. */
  readonly override: string | null;
  /** The rule's GroupBy keys. */
  readonly groupBy: readonly string[];
  /** -1 unlimited, 0 nothing, n at most n. */
  readonly limit: number;
  /** Current sum of the counters sharing this limit's key values (before the requested increment). */
  readonly count: number;
  /** Whether `count + n` fits. */
  readonly allowed: boolean;
}

export type IncrementResult =
  | { readonly allowed: true; readonly tags: Tags; readonly counters: number }
  | {
      readonly allowed: false;
      readonly tags: Tags;
      /** The first refusing limit (rules by name, then overrides by name). */
      readonly rule: string;
      readonly override: string | null;
      readonly limit: number;
      readonly count: number;
      /** The refusing limit's key values (`limitGroup` of the incoming tags on its keys): capacity returns to it
       * when a counter whose tags hold all of these goes down. */
      readonly keyValues: Tags;
    };

export interface CounterChange {
  readonly tags: Tags;
  /** n >= 1. */
  readonly counters: number;
}

/** A decrement that may be sent again: the same `opId` is applied at most once. */
export interface CounterDecrement extends CounterChange {
  /**
   * Idempotency key (1-200 characters), unique to the change it stands for: a decrement repeated with an opId already
   * applied changes nothing and answers the counter's current value. An opId is remembered for at least
   * `DECREMENT_OP_RETENTION_MS` after it was applied; null or absent: applied every time.
   */
  readonly opId?: string | null;
}

/** Most counter changes one `tryIncrementMany` or `decrementMany` takes. */
export const COUNTER_BATCH_MAX = 1_000;

/** How long an applied decrement's `opId` is remembered (one hour): repeats within it are no-ops. */
export const DECREMENT_OP_RETENTION_MS = 3_600_000;

export interface CounterValue {
  readonly tags: Tags;
  readonly counters: number;
}

export interface Explanation {
  readonly tags: Tags;
  readonly allowed: boolean;
  readonly limits: readonly LimitCheck[];
}

/** Which freed counter gives which limit room again is decided once, in `common/capacity.ts`. */
export type { CapacityFreed } from '../common/capacity';

/** Public facade of the Limiter. In-process: LimiterService; in another process: LimiterRpcClient (WILLOW_LIMITER_URL). */
export interface LimiterPort {
  /**
   * Atomic check-and-increment: adds `counters` to the counter of `tags` only if every enforced limit still fits.
   * All-or-nothing; a refusal is a value (`allowed: false`), never an error. Tags may hold reserved `_` keys
   * (Willow's own counters carry `_willow_queue`).
   */
  tryIncrement(cmd: CounterChange): Promise<IncrementResult>;
  /**
   * Subtracts (never below 0; a counter at 0 is removed; unknown = 0) and emits `capacityFreed`. With an `opId`, at
   * most once per opId: the opId is recorded in the same transaction as the change, so a caller that got an error (the
   * change may or may not have committed) can send the same decrement again until it is answered. A repeat emits
   * `capacityFreed` again (the first answer may never have reached this process's waiters).
   */
  decrement(cmd: CounterDecrement): Promise<CounterValue>;
  /**
   * Several check-and-increments judged in order, each all-or-nothing as `tryIncrement` (a later one sees the earlier
   * ones' increments), answered pairwise. One call and, where the store allows, one transaction: the dequeue path asks
   * for every channel of a batch at once.
   */
  tryIncrementMany(cmds: readonly CounterChange[]): Promise<IncrementResult[]>;
  /** Several decrements, each as `decrement` (opIds included), in one call; answered pairwise. */
  decrementMany(cmds: readonly CounterDecrement[]): Promise<CounterValue[]>;
  /** Sets a counter exactly, with no limit check (administration, reconciliation). Emits when it went down. */
  set(cmd: { readonly tags: Tags; readonly counters: number }): Promise<CounterValue>;
  /** Every enforced limit for `tags`, its count and whether `counters` more fit. Read-only. */
  explain(cmd: CounterChange): Promise<Explanation>;
  /** Counters matching `query`, ordered by canonical tag encoding. */
  listCounters(query: Query, page: PageRequest): Promise<Page<CounterValue>>;
  /** Hot stream of capacity-freed events; subscribers never block the Limiter. */
  readonly capacityFreed$: Observable<CapacityFreed>;
}

export const LIMITER_PORT = Symbol('LimiterPort');

export const LimiterPatterns = {
  tryIncrement: 'limiter.tryIncrement',
  decrement: 'limiter.decrement',
  tryIncrementMany: 'limiter.tryIncrementMany',
  decrementMany: 'limiter.decrementMany',
  set: 'limiter.set',
  explain: 'limiter.explain',
  listCounters: 'limiter.listCounters',
  capacityFreed: 'limiter.capacityFreed',
  /** Long-poll of capacity-freed events after a cursor: the stream's carrier over transports without push. */
  events: 'limiter.events',
  ping: 'limiter.ping',
} as const;
