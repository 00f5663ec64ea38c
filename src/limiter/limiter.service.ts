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
import type { CounterMove } from './domain/counter-ops';
import { evaluate, type LimitPlan } from './domain/limit-plan';
import { parseAnyTags, parseCounters, parseOpId } from './domain/validate';
import { LIMITER_STORE, STALE_PLAN, type LimiterStore, type Planned } from './limiter.store';
import {
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
    const { tags, key, n } = counterCommand(cmd, 1);
    const outcome = await this.cache.withPlan(tags, (plan, version) => this.store.tryIncrement({ key, plan, counters: n, version }));
    if (outcome.allowed) return { allowed: true, tags, counters: outcome.counters };
    const { rule, override, limit, count, keyValues } = outcome.refusal;
    this.observer.limiterRefused(rule);
    return { allowed: false, tags, rule, override, limit, count, keyValues };
  }

  async decrement(cmd: CounterDecrement): Promise<CounterValue> {
    const { tags, key, n } = counterCommand(cmd, 1);
    const opId = parseOpId(cmd.opId, 'OpId');
    const now = this.clock.now();
    const moved = await this.move(tags, (plan, version) =>
      this.store.decrement({ key, plan, counters: n, version, opId, now, retentionMs: DECREMENT_OP_RETENTION_MS }),
    );
    // A repeat: the first attempt may have committed without its answer (or its event) reaching anyone here.
    if (moved.repeated) this.events.emit(tags);
    return { tags, counters: moved.counters };
  }

  async set(cmd: { readonly tags: Tags; readonly counters: number }): Promise<CounterValue> {
    const { tags, key, n } = counterCommand(cmd, 0);
    const moved = await this.move(tags, (plan, version) => this.store.set({ key, plan, counters: n, version }));
    return { tags, counters: moved.counters };
  }

  async explain(cmd: CounterChange): Promise<Explanation> {
    const { tags, n } = counterCommand(cmd, 1);
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

  /** A decrement or set; publishes capacity-freed once committed, when the counter went down. */
  private async move<M extends CounterMove>(tags: Tags, write: (plan: LimitPlan, version: number) => Promise<Planned<M>>): Promise<M> {
    const moved = await this.cache.withPlan(tags, write);
    const event = freedBy(tags, moved);
    if (event) this.events.emit(event.tags);
    return moved;
  }
}

/** Re-checks a port command with the kernel parsers (RPC callers have no DTO); reserved `_` keys are allowed. */
function counterCommand(cmd: { readonly tags: Tags; readonly counters: number }, min: 0 | 1): { tags: Tags; key: string; n: number } {
  const tags = parseAnyTags(cmd?.tags, 'KeyValues');
  return { tags, key: canonicalTags(tags), n: parseCounters(cmd?.counters, 'Counters', min) };
}
