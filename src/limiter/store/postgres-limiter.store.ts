import type { QueryResultRow } from 'pg';
import { decodeTags } from '../../common/tags';
import { inlineParams } from '../../platform/storage/postgres/inline-params';
import { inTransaction, withCommit, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { unlessStoreDown, WriteBatcher } from '../../platform/storage/postgres/write-batcher';
import { checkAndIncrement, decrementCounter, setCounter, type CounterMove, type IncrementOutcome } from '../domain/counter-ops';
import type { AggregateKey } from '../domain/limit-plan';
import type { RuleDef } from '../domain/rule-book';
import type { NewOverride, NewRule } from '../domain/validate';
import {
  STALE_PLAN,
  type DecrementMove,
  type LimiterStore,
  type LimitRef,
  type PeerListener,
  type Planned,
  type PlannedChange,
  type PlannedDecrement,
  type RuleChange,
  type RuleSet,
  type SharedLimiterStore,
  type StoredCounter,
} from '../limiter.store';
import { OpPruning } from './decrement-ops';
import { distinctAggregates, PendingCounterTable } from './postgres-counter-table';
import { LIMITER_NOTES, type LimiterNote } from './postgres-limiter.channel';
import { LIMITER_PG_MIGRATIONS } from './postgres-limiter.migrations';
import { definitions } from './postgres-limiter.rules';
import * as q from './postgres-limiter.sql';

/** The most counter writes one batched transaction makes. */
const BATCH_WRITES = 200;

/** One counter write waiting for its batch: the change, the aggregates its decision reads, the domain operation. */
interface CounterWrite {
  readonly change: PlannedChange;
  readonly locked: readonly AggregateKey[];
  readonly op: (table: PendingCounterTable) => unknown;
  /** A decrement applied at most once per opId: recorded first; when already recorded, `op` is not run. */
  readonly once?: PlannedDecrement & { readonly opId: string };
}

interface StateRow extends QueryResultRow {
  version: string;
  counters: string[];
  counts: string[];
}

/**
 * The Limiter on PostgreSQL, shared by every instance on one schema. Each method is one transaction under the locks
 * described in `postgres-limiter.sql.ts`; counter writes check the rules version their plan was made with and
 * answer STALE_PLAN when another instance changed the rules. Every definition change, and every counter that went
 * down, is sent on `LIMITER_NOTES` inside its transaction, so the other instances hear it on commit (`shared.watch`).
 */
export class PostgresLimiterStore implements LimiterStore {
  readonly shared: SharedLimiterStore = { watch: (listener) => this.watch(listener) };
  /**
   * Counter writes arriving while one is written are written together, in arrival order (see WriteBatcher). A batch
   * that failed for another reason than the store being unavailable or full (which every write would meet) is written
   * in halves down to single writes, so a write fails only for its own reason.
   */
  private readonly writes = new WriteBatcher<CounterWrite, unknown>((_line, batch) => this.writeBatch(batch), {
    maxSize: BATCH_WRITES,
    retryInParts: unlessStoreDown,
  });

  private readonly notes: PgChannel<LimiterNote>;
  private readonly pruning = new OpPruning();

  private constructor(private readonly storage: PostgresStorage) {
    this.notes = storage.channel(LIMITER_NOTES);
  }

  static async open(storage: PostgresStorage): Promise<PostgresLimiterStore> {
    await storage.migrate('limiter', LIMITER_PG_MIGRATIONS);
    return new PostgresLimiterStore(storage);
  }

  loadRules(): Promise<RuleSet> {
    return this.storage.tx(async (sql) => {
      await sql.query(q.LOCK_RULES_SHARED);
      const version = await this.versionIn(sql);
      return { version, rules: await definitions.all(sql) };
    });
  }

  async rulesVersion(): Promise<number> {
    return Number((await this.storage.query<{ version: string }>(q.RULES_VERSION))[0].version);
  }

  createRule(rule: NewRule): Promise<RuleChange> {
    return this.define((sql) => definitions.createRule(sql, rule));
  }

  createOverride(rule: string, override: NewOverride): Promise<RuleChange> {
    return this.define((sql) => definitions.createOverride(sql, rule, override));
  }

  setLimit(ref: LimitRef, limit: number): Promise<RuleChange> {
    return this.define((sql) => definitions.setLimit(sql, ref, limit));
  }

  remove(ref: LimitRef): Promise<RuleChange<RuleDef | null>> {
    return this.define((sql) => definitions.remove(sql, ref));
  }

  tryIncrement(change: PlannedChange): Promise<Planned<IncrementOutcome>> {
    return this.counterTx(change, change.plan.enforced, (table) => checkAndIncrement(table, change.key, change.plan, change.counters, change.at));
  }

  decrement(change: PlannedDecrement): Promise<Planned<DecrementMove>> {
    const once = change.opId === null ? undefined : { ...change, opId: change.opId };
    const op = (table: PendingCounterTable): DecrementMove => ({ ...decrementCounter(table, change.key, change.plan, change.counters), repeated: false });
    return this.writes.submit('counters', { change, locked: [], op, once }, 1) as Promise<Planned<DecrementMove>>;
  }

  /**
   * Each write joins the batched transactions (WriteBatcher), as a single one would. When one fails, the
   * increments that went through are taken back before the failure is thrown, so none is left counting for nothing.
   */
  async tryIncrementMany(changes: readonly PlannedChange[]): Promise<Array<Planned<IncrementOutcome>>> {
    const settled = await Promise.allSettled(changes.map((change) => this.tryIncrement(change)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<Planned<IncrementOutcome>>).value);
    await Promise.allSettled(
      settled.flatMap((s, i) =>
        s.status === 'fulfilled' && s.value !== STALE_PLAN && s.value.allowed
          ? [this.decrement({ ...changes[i], opId: null, now: 0, retentionMs: 0 }).catch(() => undefined)]
          : [],
      ),
    );
    throw failed.reason;
  }

  decrementMany(changes: readonly PlannedDecrement[]): Promise<Array<Planned<DecrementMove>>> {
    return Promise.all(changes.map((change) => this.decrement(change)));
  }

  set(change: PlannedChange): Promise<Planned<CounterMove>> {
    return this.counterTx(change, [], (table) => setCounter(table, change.key, change.plan, change.counters));
  }

  counts(aggregates: readonly AggregateKey[], version: number): Promise<Planned<number[]>> {
    return this.storage.tx(async (sql) => {
      await sql.query(q.LOCK_RULES_SHARED);
      const params = [[], aggregates.map((a) => a.limitId), aggregates.map((a) => a.groupKey)];
      const state = (await sql.query<StateRow>(q.COUNTERS_STATE, params)).rows[0];
      return Number(state.version) === version ? state.counts.map(Number) : STALE_PLAN;
    });
  }

  async listCounters(afterKey: string | null, limit: number): Promise<StoredCounter[]> {
    const rows = await this.storage.query<{ key: string; counters: string }>(q.LIST_COUNTERS, [afterKey ?? '', limit]);
    return rows.map((row) => ({ key: row.key, counters: Number(row.counters) }));
  }

  /**
   * One counter write: the rules lock shared, then the counter's lock and those of `locked` (the aggregates whose
   * counts decide it); the state read after them is current, and the domain's arithmetic runs on it.
   */
  private counterTx<T>(change: PlannedChange, locked: readonly AggregateKey[], op: (table: PendingCounterTable) => T): Promise<Planned<T>> {
    return this.writes.submit('counters', { change, locked, op }, 1) as Promise<Planned<T>>;
  }

  /**
   * Several writes in one transaction of two round trips. The first, with the BEGIN: every lock they need, taken
   * together in hash order; one read of their counters and locked aggregates after the locks (its own snapshot, so it
   * sees every write that held the locks first); the decrements' opIds recorded (`recordOps`). Then `applyWrites`,
   * whose writes and notes go with the COMMIT. Up to five round trips before: the server's and the database's wake-ups
   * per statement cost more than the statements (README, PostgreSQL).
   */
  private writeBatch(batch: readonly CounterWrite[]): Promise<unknown[]> {
    const names = batch.flatMap(({ change, locked }) => [`c${change.key}`, ...locked.map((a) => `a${a.limitId}:${a.groupKey}`)]);
    const keys = [...new Set(batch.map((w) => w.change.key))];
    const aggregates = distinctAggregates(batch.flatMap((w) => w.locked));
    const params = [keys, aggregates.map((a) => a.limitId), aggregates.map((a) => a.groupKey)];
    const opening = [inlineParams(q.LOCK_FOR_COUNTER, [names]), inlineParams(q.COUNTERS_STATE, params), ...this.recordOps(batch)];
    return this.storage.tx((sql, [, state, ...recorded]) => {
      const applied = new Set((recorded.at(-1) ?? []).map((row) => (row as { op_id: string }).op_id));
      return this.applyWrites(sql, batch, keys, aggregates, state[0] as StateRow, applied);
    }, opening);
  }

  /**
   * Each write in arrival order on the state as the earlier ones left it (in memory: nobody else can change what is
   * locked), a decrement whose opId was recorded before (not in `applied`) changing nothing; every change written in
   * one statement, and the counters that went down announced, both sent with the COMMIT.
   */
  private async applyWrites(sql: Tx, batch: readonly CounterWrite[], keys: string[], aggregates: AggregateKey[], state: StateRow, applied: Set<string>): Promise<unknown[]> {
    const version = Number(state.version);
    const table = new PendingCounterTable(keys, state.counters.map(Number), aggregates, state.counts.map(Number));
    const freed = new Set<string>();
    const results = batch.map(({ change, op, once }) => {
      if (change.version !== version) return STALE_PLAN;
      const before = table.counter(change.key);
      // A repeated opId (recorded earlier, or by an earlier write of this batch) changes nothing.
      if (once && !applied.delete(once.opId)) return { previous: before, counters: before, repeated: true } satisfies DecrementMove;
      const result = op(table);
      if (table.counter(change.key) < before) freed.add(change.key);
      return result;
    });
    for (const statement of table.writes()) this.storage.sendWithCommit(sql, statement);
    await this.notes.send(withCommit(sql), ...[...freed].map((key) => ({ freed: key })));
    return results;
  }

  /**
   * The opening statements that record the decrements' opIds of `batch` (pruning aged ones when due), the last of
   * them answering those not recorded before; none when it has no decrement with an opId. Only the writes planned
   * under the current rules version are recorded (the others answer STALE_PLAN and are planned again).
   */
  private recordOps(batch: readonly CounterWrite[]): string[] {
    const ops = batch.flatMap((w) => (w.once ? [w.once] : []));
    if (ops.length === 0) return [];
    const before = this.pruning.due(ops[0].now, ops[0].retentionMs);
    const record = inlineParams(q.RECORD_DECREMENT_OPS, [ops.map((o) => o.opId), ops.map((o) => o.version), ops[0].now]);
    return before === null ? [record] : [inlineParams(q.PRUNE_DECREMENT_OPS, [before]), record];
  }

  /** A definition change: the rules lock exclusively, a new rules version, the change, its note sent on commit. */
  private define<R extends RuleDef | null>(change: (sql: Tx) => Promise<R>): Promise<RuleChange<R>> {
    return this.storage.tx(async (sql) => {
      await sql.query(q.LOCK_RULES);
      const version = Number((await sql.query<{ version: string }>(q.BUMP_RULES_VERSION)).rows[0].version);
      const rule = await change(sql);
      await this.notes.send(inTransaction(sql), { rules: version });
      return { version, rule };
    });
  }

  private async versionIn(sql: Tx): Promise<number> {
    return Number((await sql.query<{ version: string }>(q.RULES_VERSION)).rows[0].version);
  }

  /** Delivers other instances' notes; this instance's own writes were already published where they were made. */
  private watch(listener: PeerListener): Promise<void> {
    return this.notes.listen({
      message: (note) => {
        if ('rules' in note) listener.rulesChanged(note.rules);
        else listener.freed(note.freed === null ? null : decodeTags(note.freed));
      },
      resync: () => listener.resync(),
    });
  }
}
