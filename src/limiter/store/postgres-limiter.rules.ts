import type { QueryResultRow } from 'pg';
import { canonicalTags, decodeTags } from '../../common/tags';
import type { Tx } from '../../platform/storage/postgres/postgres-storage';
import { groupSums, matchingSum, type CounterEntry } from '../domain/counter-ops';
import { OverrideNotFoundError, RuleNotFoundError } from '../domain/limiter.errors';
import type { OverrideDef, RuleDef } from '../domain/rule-book';
import { checkOverrideKeys, groupSetKey, type NewOverride, type NewRule } from '../domain/validate';
import type { LimitRef } from '../limiter.store';
import { duplicate } from './definition-errors';
import * as q from './postgres-limiter.sql';

/** Counters read per round trip while a new limit's aggregates are computed. */
const SCAN_PAGE = 5_000;

interface RuleRow extends QueryResultRow {
  id: string;
  name: string;
  group_by: string;
  limit_value: string;
}

interface OverrideRow extends QueryResultRow {
  id: string;
  rule_id: string;
  name: string;
  key_values: string;
  limit_value: string;
}

/**
 * The definition changes of the PostgreSQL store, each run inside the store's transaction that holds the rules lock
 * exclusively (no counter write in flight, none starting), so the aggregates they compute are exact.
 */
export const definitions = {
  async createRule(sql: Tx, rule: NewRule): Promise<RuleDef> {
    if (await one(sql, q.RULE_BY_NAME, [rule.name])) throw duplicate.ruleName(rule.name);
    const groupSet = groupSetKey(rule.groupBy);
    const same = await one<RuleRow>(sql, q.RULE_BY_GROUP_SET, [groupSet]);
    if (same) throw duplicate.groupSet(same.name, groupSet);
    const id = await nextId(sql);
    await sql.query(q.INSERT_RULE, [id, rule.name, JSON.stringify(rule.groupBy), groupSet, rule.limit]);
    const sums = groupSums(rule.groupBy, await allCounters(sql));
    if (sums.size > 0) await sql.query(q.INSERT_COUNTS, [id, [...sums.keys()], [...sums.values()]]);
    return { id, name: rule.name, groupBy: rule.groupBy, limit: rule.limit, overrides: [] };
  },

  async createOverride(sql: Tx, ruleName: string, override: NewOverride): Promise<RuleDef> {
    const rule = await ruleRow(sql, ruleName);
    checkOverrideKeys({ name: rule.name, groupBy: JSON.parse(rule.group_by) as string[] }, override.keyValues, 'KeyValues');
    const keyValues = canonicalTags(override.keyValues);
    if (await one(sql, q.OVERRIDE_BY_NAME, [rule.id, override.name])) throw duplicate.overrideName(rule.name, override.name);
    const same = await one<OverrideRow>(sql, q.OVERRIDE_BY_KEY_VALUES, [rule.id, keyValues]);
    if (same) throw duplicate.keyValues(rule.name, same.name);
    const id = await nextId(sql);
    await sql.query(q.INSERT_OVERRIDE, [id, rule.id, override.name, keyValues, override.limit]);
    const sum = matchingSum(override.keyValues, await allCounters(sql));
    if (sum > 0) await sql.query(q.INSERT_COUNTS, [id, [keyValues], [sum]]);
    return ruleDef(sql, rule);
  },

  async setLimit(sql: Tx, ref: LimitRef, limit: number): Promise<RuleDef> {
    const rule = await ruleRow(sql, ref.rule);
    if (ref.override === null) await sql.query(q.SET_RULE_LIMIT, [rule.id, limit]);
    else await sql.query(q.SET_OVERRIDE_LIMIT, [(await overrideRow(sql, rule, ref.override)).id, limit]);
    return ruleDef(sql, await ruleRow(sql, ref.rule));
  },

  async remove(sql: Tx, ref: LimitRef): Promise<RuleDef | null> {
    const rule = await ruleRow(sql, ref.rule);
    if (ref.override !== null) {
      const override = await overrideRow(sql, rule, ref.override);
      await sql.query(q.DELETE_COUNTS, [override.id]);
      await sql.query(q.DELETE_OVERRIDE, [override.id]);
      return ruleDef(sql, rule);
    }
    await sql.query(q.DELETE_OVERRIDE_COUNTS, [rule.id]);
    await sql.query(q.DELETE_COUNTS, [rule.id]);
    await sql.query(q.DELETE_RULE, [rule.id]); // its overrides go by ON DELETE CASCADE; counters stay
    return null;
  },

  /** Every rule with its overrides (the caller holds the rules lock, so the two reads agree). */
  async all(sql: Tx): Promise<RuleDef[]> {
    const overrides = new Map<string, OverrideDef[]>();
    for (const row of (await sql.query<OverrideRow>(q.OVERRIDES)).rows) {
      const list = overrides.get(row.rule_id) ?? [];
      list.push(toOverride(row));
      overrides.set(row.rule_id, list);
    }
    return (await sql.query<RuleRow>(q.RULES)).rows.map((row) => toRule(row, overrides.get(row.id) ?? []));
  },
};

async function one<R extends QueryResultRow>(sql: Tx, text: string, params: unknown[]): Promise<R | null> {
  return (await sql.query<R>(text, params)).rows[0] ?? null;
}

async function nextId(sql: Tx): Promise<number> {
  return Number((await one<{ id: string }>(sql, q.NEXT_ID, []))!.id);
}

async function ruleRow(sql: Tx, name: string): Promise<RuleRow> {
  const row = await one<RuleRow>(sql, q.RULE_BY_NAME, [name]);
  if (!row) throw new RuleNotFoundError(name);
  return row;
}

async function overrideRow(sql: Tx, rule: RuleRow, name: string): Promise<OverrideRow> {
  const row = await one<OverrideRow>(sql, q.OVERRIDE_BY_NAME, [rule.id, name]);
  if (!row) throw new OverrideNotFoundError(rule.name, name);
  return row;
}

async function ruleDef(sql: Tx, row: RuleRow): Promise<RuleDef> {
  return toRule(row, (await sql.query<OverrideRow>(q.OVERRIDES_OF, [row.id])).rows.map(toOverride));
}

/** Every counter, read page by page (a new limit's aggregates are computed over all of them). */
async function allCounters(sql: Tx): Promise<CounterEntry[]> {
  const entries: CounterEntry[] = [];
  for (let after = ''; ; ) {
    const { rows } = await sql.query<{ key: string; counters: string; key_hash: string }>(q.SCAN_COUNTERS, [after, SCAN_PAGE]);
    for (const row of rows) entries.push({ tags: decodeTags(row.key), counters: Number(row.counters) });
    if (rows.length < SCAN_PAGE) return entries;
    after = rows[rows.length - 1].key_hash;
  }
}

function toRule(row: RuleRow, overrides: readonly OverrideDef[]): RuleDef {
  const groupBy = Object.freeze(JSON.parse(row.group_by) as string[]);
  return { id: Number(row.id), name: row.name, groupBy, limit: Number(row.limit_value), overrides };
}

function toOverride(row: OverrideRow): OverrideDef {
  return { id: Number(row.id), name: row.name, keyValues: decodeTags(row.key_values), limit: Number(row.limit_value) };
}
