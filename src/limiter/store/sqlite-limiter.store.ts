import { canonicalTags, decodeTags } from '../../common/tags';
import type { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { checkAndIncrement, decrementCounter, groupSums, matchingSum, setCounter, type CounterMove, type IncrementOutcome } from '../domain/counter-ops';
import type { AggregateKey } from '../domain/limit-plan';
import { OverrideNotFoundError, RuleNotFoundError } from '../domain/limiter.errors';
import type { OverrideDef, RuleDef } from '../domain/rule-book';
import { checkOverrideKeys, groupSetKey, type NewOverride, type NewRule } from '../domain/validate';
import {
  STALE_PLAN,
  type DecrementMove,
  type LimiterStore,
  type LimitRef,
  type Planned,
  type PlannedChange,
  type PlannedDecrement,
  type RuleChange,
  type RuleSet,
  type StoredCounter,
} from '../limiter.store';
import { OpPruning } from './decrement-ops';
import { duplicate } from './definition-errors';
import { SqliteCounterTable } from './sqlite-counter-table';
import { LIMITER_MIGRATIONS } from './sqlite-limiter.migrations';

interface RuleRow {
  id: number;
  name: string;
  group_by: string;
  group_set: string;
  limit_value: number;
}

interface OverrideRow {
  id: number;
  rule_id: number;
  name: string;
  key_values: string;
  limit_value: number;
}

/**
 * The Limiter on the embedded SQLite store: each operation is one `storage.write` (group-committed transaction).
 * One process owns the database, so the rules version lives in memory: raised by every definition change as it runs
 * (a change whose commit then fails only costs readers one reload) and checked by counter writes as they run.
 */
export class SqliteLimiterStore implements LimiterStore {
  private readonly table: SqliteCounterTable;
  private readonly sql;
  private version = 0;
  private readonly pruning = new OpPruning();

  constructor(private readonly storage: EmbeddedStorage) {
    storage.migrate('limiter', LIMITER_MIGRATIONS);
    const db = storage.db;
    this.table = new SqliteCounterTable(db);
    this.sql = {
      nextId: db.prepare<[], number>('UPDATE limiter_sequence SET value = value + 1 WHERE id = 1 RETURNING value').pluck(),
      rules: db.prepare<[], RuleRow>('SELECT * FROM limiter_rules ORDER BY id'),
      overrides: db.prepare<[], OverrideRow>('SELECT * FROM limiter_overrides ORDER BY id'),
      ruleByName: db.prepare<[string], RuleRow>('SELECT * FROM limiter_rules WHERE name = ?'),
      ruleBySet: db.prepare<[string], RuleRow>('SELECT * FROM limiter_rules WHERE group_set = ?'),
      overridesOf: db.prepare<[number], OverrideRow>('SELECT * FROM limiter_overrides WHERE rule_id = ? ORDER BY id'),
      overrideByName: db.prepare<[number, string], OverrideRow>('SELECT * FROM limiter_overrides WHERE rule_id = ? AND name = ?'),
      overrideByValues: db.prepare<[number, string], OverrideRow>('SELECT * FROM limiter_overrides WHERE rule_id = ? AND key_values = ?'),
      insertRule: db.prepare('INSERT INTO limiter_rules (id, name, group_by, group_set, limit_value) VALUES (?, ?, ?, ?, ?)'),
      insertOverride: db.prepare('INSERT INTO limiter_overrides (id, rule_id, name, key_values, limit_value) VALUES (?, ?, ?, ?, ?)'),
      insertCount: db.prepare('INSERT INTO limiter_counts (limit_id, group_key, count) VALUES (?, ?, ?)'),
      ruleLimit: db.prepare('UPDATE limiter_rules SET limit_value = ? WHERE id = ?'),
      overrideLimit: db.prepare('UPDATE limiter_overrides SET limit_value = ? WHERE id = ?'),
      deleteRule: db.prepare('DELETE FROM limiter_rules WHERE id = ?'),
      deleteOverride: db.prepare('DELETE FROM limiter_overrides WHERE id = ?'),
      deleteCounts: db.prepare('DELETE FROM limiter_counts WHERE limit_id = ?'),
      deleteOverrideCounts: db.prepare('DELETE FROM limiter_counts WHERE limit_id IN (SELECT id FROM limiter_overrides WHERE rule_id = ?)'),
      recordOp: db.prepare<[string, number]>('INSERT INTO limiter_decrement_ops (op_id, applied_at) VALUES (?, ?) ON CONFLICT (op_id) DO NOTHING'),
      pruneOps: db.prepare<[number]>('DELETE FROM limiter_decrement_ops WHERE applied_at < ?'),
    };
  }

  async loadRules(): Promise<RuleSet> {
    const rules = this.storage.read(() => {
      const overrides = new Map<number, OverrideDef[]>();
      for (const row of this.sql.overrides.all()) {
        const list = overrides.get(row.rule_id) ?? [];
        list.push(toOverride(row));
        overrides.set(row.rule_id, list);
      }
      return this.sql.rules.all().map((row) => toRule(row, overrides.get(row.id) ?? []));
    });
    return { version: this.version, rules };
  }

  async rulesVersion(): Promise<number> {
    return this.version;
  }

  createRule(rule: NewRule): Promise<RuleChange> {
    return this.storage.write(() => {
      if (this.sql.ruleByName.get(rule.name)) throw duplicate.ruleName(rule.name);
      const groupSet = groupSetKey(rule.groupBy);
      const same = this.sql.ruleBySet.get(groupSet);
      if (same) throw duplicate.groupSet(same.name, groupSet);
      const id = this.sql.nextId.get()!;
      this.sql.insertRule.run(id, rule.name, JSON.stringify(rule.groupBy), groupSet, rule.limit);
      for (const [groupKey, sum] of groupSums(rule.groupBy, this.table.entries())) this.sql.insertCount.run(id, groupKey, sum);
      return this.changed({ id, name: rule.name, groupBy: rule.groupBy, limit: rule.limit, overrides: [] });
    });
  }

  createOverride(ruleName: string, override: NewOverride): Promise<RuleChange> {
    return this.storage.write(() => {
      const rule = this.ruleRow(ruleName);
      checkOverrideKeys({ name: rule.name, groupBy: JSON.parse(rule.group_by) as string[] }, override.keyValues, 'KeyValues');
      const keyValues = canonicalTags(override.keyValues);
      if (this.sql.overrideByName.get(rule.id, override.name)) throw duplicate.overrideName(rule.name, override.name);
      const same = this.sql.overrideByValues.get(rule.id, keyValues);
      if (same) throw duplicate.keyValues(rule.name, same.name);
      const id = this.sql.nextId.get()!;
      this.sql.insertOverride.run(id, rule.id, override.name, keyValues, override.limit);
      const sum = matchingSum(override.keyValues, this.table.entries());
      if (sum > 0) this.sql.insertCount.run(id, keyValues, sum);
      return this.changed(this.ruleDef(rule));
    });
  }

  setLimit(ref: LimitRef, limit: number): Promise<RuleChange> {
    return this.storage.write(() => {
      const rule = this.ruleRow(ref.rule);
      if (ref.override === null) this.sql.ruleLimit.run(limit, rule.id);
      else this.sql.overrideLimit.run(limit, this.overrideRow(rule, ref.override).id);
      return this.changed(this.ruleDef(this.ruleRow(ref.rule)));
    });
  }

  remove(ref: LimitRef): Promise<RuleChange<RuleDef | null>> {
    return this.storage.write(() => {
      const rule = this.ruleRow(ref.rule);
      if (ref.override !== null) {
        const override = this.overrideRow(rule, ref.override);
        this.sql.deleteCounts.run(override.id);
        this.sql.deleteOverride.run(override.id);
        return this.changed(this.ruleDef(rule));
      }
      this.sql.deleteOverrideCounts.run(rule.id);
      this.sql.deleteCounts.run(rule.id);
      this.sql.deleteRule.run(rule.id); // its overrides go by ON DELETE CASCADE; counters stay
      return this.changed(null);
    });
  }

  tryIncrement(change: PlannedChange): Promise<Planned<IncrementOutcome>> {
    return this.planned(change, () => checkAndIncrement(this.table, change.key, change.plan, change.counters));
  }

  decrement(change: PlannedDecrement): Promise<Planned<DecrementMove>> {
    return this.planned(change, () => this.decrementNow(change));
  }

  tryIncrementMany(changes: readonly PlannedChange[]): Promise<Array<Planned<IncrementOutcome>>> {
    return this.plannedAll(changes, () => changes.map((c) => checkAndIncrement(this.table, c.key, c.plan, c.counters, c.at)));
  }

  decrementMany(changes: readonly PlannedDecrement[]): Promise<Array<Planned<DecrementMove>>> {
    return this.plannedAll(changes, () => changes.map((c) => this.decrementNow(c)));
  }

  set(change: PlannedChange): Promise<Planned<CounterMove>> {
    return this.planned(change, () => setCounter(this.table, change.key, change.plan, change.counters));
  }

  async counts(aggregates: readonly AggregateKey[], version: number): Promise<Planned<number[]>> {
    if (version !== this.version) return STALE_PLAN;
    return this.storage.read(() => aggregates.map((aggregate) => this.table.count(aggregate)));
  }

  async listCounters(afterKey: string | null, limit: number): Promise<StoredCounter[]> {
    return this.storage.read(() => this.table.page(afterKey, limit));
  }

  private decrementNow(change: PlannedDecrement): DecrementMove {
    const { opId, now } = change;
    if (opId !== null) {
      const before = this.pruning.due(now, change.retentionMs);
      if (before !== null) this.sql.pruneOps.run(before);
      if (this.sql.recordOp.run(opId, now).changes === 0) {
        const counters = this.table.counter(change.key);
        return { previous: counters, counters, repeated: true };
      }
    }
    return { ...decrementCounter(this.table, change.key, change.plan, change.counters), repeated: false };
  }

  /** Several counter writes in one transaction (one group-commit write); all stale when the rules changed. */
  private plannedAll<T>(changes: readonly PlannedChange[], write: () => T[]): Promise<Array<Planned<T>>> {
    return this.storage.write(() => (changes.every((c) => c.version === this.version) ? write() : changes.map(() => STALE_PLAN)));
  }

  /** A counter write, run only if the rules are still those it was planned with. */
  private planned<T>(change: PlannedChange, write: () => T): Promise<Planned<T>> {
    return this.storage.write(() => (change.version === this.version ? write() : STALE_PLAN));
  }

  /** Ends a definition change that succeeded: the rules version rises (last, after every check that may refuse). */
  private changed<R extends RuleDef | null>(rule: R): RuleChange<R> {
    return { version: ++this.version, rule };
  }

  private ruleRow(name: string): RuleRow {
    const row = this.sql.ruleByName.get(name);
    if (!row) throw new RuleNotFoundError(name);
    return row;
  }

  private overrideRow(rule: RuleRow, name: string): OverrideRow {
    const row = this.sql.overrideByName.get(rule.id, name);
    if (!row) throw new OverrideNotFoundError(rule.name, name);
    return row;
  }

  private ruleDef(row: RuleRow): RuleDef {
    return toRule(row, this.sql.overridesOf.all(row.id).map(toOverride));
  }
}

function toRule(row: RuleRow, overrides: readonly OverrideDef[]): RuleDef {
  const groupBy = Object.freeze(JSON.parse(row.group_by) as string[]);
  return { id: row.id, name: row.name, groupBy, limit: row.limit_value, overrides };
}

function toOverride(row: OverrideRow): OverrideDef {
  return { id: row.id, name: row.name, keyValues: decodeTags(row.key_values), limit: row.limit_value };
}
