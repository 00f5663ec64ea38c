import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Clock } from '../common/clock';
import type { Page, PageRequest } from '../common/page';
import { matches, type Query } from '../common/query';
import { canonicalTags, decodeTags, type Tags } from '../common/tags';
import { CLOCK } from '../platform/clock.token';
import { NO_OBSERVER, OBSERVER, type Observer } from '../platform/observability/observer.port';
import { CapacityEvents } from './capacity-events';
import { freedBy } from '../common/capacity';
import type { CounterMove, IncrementOutcome } from './domain/counter-ops';
import { InvalidInputError } from '../common/errors';
import { evaluate, type LimitPlan } from './domain/limit-plan';
import { parseAnyTags, parseCounters, parseOpId, validCounters } from './domain/validate';
import { LIMITER_STORE, STALE_PLAN, type DecrementMove, type LimiterStore, type Planned } from './limiter.store';
import {
  COUNTER_BATCH_MAX,
  DECREMENT_OP_RETENTION_MS,
  type CapacityFreed,
  type CounterChange,
  type CounterDecrement,
  type CounterValue,
  type Explanation,
  type IncrementResult,
  type LimiterPort,
} from './limiter.port';
import { RuleCache } from './rule-cache';

const SCAN_BATCH = 1_000;

/** Counters: check-and-increment, decrement, set, explain and listing, planned from the cached rules. */
@Injectable()
export class LimiterService implements LimiterPort {
  readonly capacityFreed$: Observable<CapacityFreed>;
  /**
   * The tag sets this Limiter checked and encoded, by identity, with their encoding: the copies it made itself (frozen,
   * so unchanged since) and answered with. A caller in this process that sends such a set again, as Willow does with
   * each channel's running-counter tags, skips the check and the encoding. One from a transport is always a new object.
   */
  private readonly checked = new WeakMap<Tags, string>();

  constructor(
    @Inject(LIMITER_STORE) private readonly store: LimiterStore,
    private readonly cache: RuleCache,
    private readonly events: CapacityEvents,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(OBSERVER) private readonly observer: Observer = NO_OBSERVER,
  ) {
    this.capacityFreed$ = events.stream$;
  }

  async tryIncrement(cmd: CounterChange): Promise<IncrementResult> {
    const { tags, key, n } = this.command(cmd, 1);
    const outcome = await this.cache.withPlan(tags, (plan, version) => this.store.tryIncrement({ key, plan, counters: n, version }));
    return this.verdict(tags, outcome);
  }

  async tryIncrementMany(cmds: readonly CounterChange[]): Promise<IncrementResult[]> {
    const parsed = this.commands(cmds, 1);
    const outcomes = await this.cache.withPlans(
      parsed.map((c) => c.tags),
      (plans, version, at) => this.store.tryIncrementMany(at.map((i, k) => ({ key: parsed[i].key, plan: plans[k], counters: parsed[i].n, version, at: i }))),
    );
    return outcomes.map((outcome, i) => this.verdict(parsed[i].tags, outcome));
  }

  async decrement(cmd: CounterDecrement): Promise<CounterValue> {
    const { tags, key, n } = this.command(cmd, 1);
    const opId = parseOpId(cmd.opId, 'OpId');
    const now = this.clock.now();
    const moved = await this.cache.withPlan(tags, (plan, version) =>
      this.store.decrement({ key, plan, counters: n, version, opId, now, retentionMs: DECREMENT_OP_RETENTION_MS }),
    );
    this.announce(tags, moved);
    return { tags, counters: moved.counters };
  }

  async decrementMany(cmds: readonly CounterDecrement[]): Promise<CounterValue[]> {
    const parsed = this.commands(cmds, 1);
    const opIds = cmds.map((cmd, i) => (cmd.opId == null ? null : parseOpId(cmd.opId, `[${i}].OpId`)));
    const now = this.clock.now();
    const moves = await this.cache.withPlans(
      parsed.map((c) => c.tags),
      (plans, version, at) =>
        this.store.decrementMany(
          at.map((i, k) => {
            const { key, n } = parsed[i];
            return { key, plan: plans[k], counters: n, version, opId: opIds[i], now, retentionMs: DECREMENT_OP_RETENTION_MS };
          }),
        ),
    );
    return moves.map((moved, i) => {
      const { tags } = parsed[i];
      this.announce(tags, moved);
      return { tags, counters: moved.counters };
    });
  }

  async set(cmd: { readonly tags: Tags; readonly counters: number }): Promise<CounterValue> {
    const { tags, key, n } = this.command(cmd, 0);
    const moved = await this.move(tags, (plan, version) => this.store.set({ key, plan, counters: n, version }));
    return { tags, counters: moved.counters };
  }

  async explain(cmd: CounterChange): Promise<Explanation> {
    const { tags, n } = this.command(cmd, 1);
    const verdict = await this.cache.withPlan(tags, async (plan, version) => {
      const counts = await this.store.counts(plan.enforced, version);
      return counts === STALE_PLAN ? STALE_PLAN : evaluate(plan, counts, n);
    });
    const limits = verdict.checks.map(({ rule, override, groupBy, limit, count, allowed }) => ({ rule, override, groupBy, limit, count, allowed }));
    return { tags, allowed: verdict.allowed, limits };
  }

  async listCounters(query: Query, page: PageRequest): Promise<Page<CounterValue>> {
    const items: CounterValue[] = [];
    let cursor = page.cursor;
    let lastKey: string | null = null;
    for (;;) {
      const size = Math.max(page.limit + 1, SCAN_BATCH);
      const batch = await this.store.listCounters(cursor, size);
      for (const row of batch) {
        const tags = decodeTags(row.key);
        if (!matches(query, tags)) continue;
        // One match past the page proves more remain; the cursor is the last key answered.
        if (items.length === page.limit) return { items, nextCursor: lastKey };
        items.push({ tags, counters: row.counters });
        lastKey = row.key;
      }
      if (batch.length < size) return { items, nextCursor: null };
      cursor = batch[batch.length - 1].key;
    }
  }

  /** `command` for each of a batch (1 to COUNTER_BATCH_MAX), with the index in every error's path. */
  private commands(cmds: readonly CounterChange[], min: 0 | 1): ParsedCommand[] {
    if (!Array.isArray(cmds) || cmds.length < 1 || cmds.length > COUNTER_BATCH_MAX) {
      throw new InvalidInputError('', `must hold 1 to ${COUNTER_BATCH_MAX} counter changes`);
    }
    return cmds.map((cmd, i) => this.command(cmd, min, i));
  }

  /**
   * Re-checks a port command with the kernel parsers (RPC callers have no DTO); reserved `_` keys are allowed. A
   * command's place in a batch (`at`) prefixes every error's path. A tag set this Limiter checked before is taken as is.
   */
  private command(cmd: { readonly tags: Tags; readonly counters: number }, min: 0 | 1, at: number | null = null): ParsedCommand {
    const known = this.checked.get(cmd?.tags);
    const tags = known === undefined ? parseAnyTags(cmd?.tags, pathAt(at, 'KeyValues')) : cmd.tags;
    const key = known ?? canonicalTags(tags);
    if (known === undefined) this.checked.set(tags, key);
    const raw = cmd?.counters;
    // Paths are written only for an error: a valid count (every call but a bad one) builds no string.
    const n = validCounters(raw, min) ? raw : parseCounters(raw, pathAt(at, 'Counters'), min);
    return { tags, key, n };
  }

  private verdict(tags: Tags, outcome: IncrementOutcome): IncrementResult {
    if (outcome.allowed) return { allowed: true, tags, counters: outcome.counters };
    const { rule, override, limit, count, keyValues } = outcome.refusal;
    this.observer.limiterRefused(rule);
    return { allowed: false, tags, rule, override, limit, count, keyValues };
  }

  /**
   * A committed decrement publishes capacity-freed when the counter went down, and again for a repeat: the first
   * attempt may have committed without its answer (or its event) reaching anyone here.
   */
  private announce(tags: Tags, moved: DecrementMove): void {
    if (moved.repeated) this.events.emit(tags);
    else this.emitFreed(tags, moved);
  }

  private emitFreed(tags: Tags, moved: CounterMove): void {
    const event = freedBy(tags, moved);
    if (event) this.events.emit(event.tags);
  }

  /** A set; publishes capacity-freed once committed, when the counter went down. */
  private async move<M extends CounterMove>(tags: Tags, write: (plan: LimitPlan, version: number) => Promise<Planned<M>>): Promise<M> {
    const moved = await this.cache.withPlan(tags, write);
    this.emitFreed(tags, moved);
    return moved;
  }
}

interface ParsedCommand {
  readonly tags: Tags;
  readonly key: string;
  readonly n: number;
}

/** A field's path in a command, prefixed by the command's place in a batch (null: a single command). */
function pathAt(at: number | null, field: string): string {
  return at === null ? field : `[${at}].${field}`;
}
