import { compareTagValues, type TagValue, type Tags } from './tags';

export { parseQuery, parseWhere } from './query-parse';

export type { CmpOp, Query, Where } from './query-ast';
import type { CmpOp, Query, Where } from './query-ast';

export const MATCH_ALL: Query = Object.freeze({});

/**
 * The single evaluator of queries: listings, dequeue and waking waiters all use it, and stores that compile queries
 * are tested against it.
 */
export function matches(query: Query, tags: Tags): boolean {
  const { minKeys, maxKeys, onlyKeys } = query;
  if (minKeys !== undefined || maxKeys !== undefined || onlyKeys !== undefined) {
    const keys = Object.keys(tags);
    if (minKeys !== undefined && keys.length < minKeys) return false;
    if (maxKeys !== undefined && keys.length > maxKeys) return false;
    if (onlyKeys !== undefined && !keys.every((key) => onlyKeys.includes(key))) return false;
  }
  return query.where === undefined || evaluate(query.where, tags);
}

function evaluate(where: Where, tags: Tags): boolean {
  switch (where.kind) {
    case 'and':
      return where.parts.every((part) => evaluate(part, tags));
    case 'or':
      return where.parts.some((part) => evaluate(part, tags));
    case 'not':
      return !evaluate(where.part, tags);
    case 'exists':
      return Object.hasOwn(tags, where.key) === where.exists;
    case 'in': {
      const hit = Object.hasOwn(tags, where.key) && where.values.includes(tags[where.key]);
      return where.negate ? !hit : hit;
    }
    case 'cmp':
      return compare(where.op, where.key, where.value, tags);
  }
}

function compare(op: CmpOp, key: string, expected: TagValue, tags: Tags): boolean {
  const present = Object.hasOwn(tags, key);
  if (op === 'ne') return !present || tags[key] !== expected;
  if (!present) return false;
  const actual = tags[key];
  if (op === 'eq') return actual === expected;
  // Booleans have no order: a range operator never matches them.
  if (typeof actual === 'boolean' || typeof expected === 'boolean') return false;
  const order = compareTagValues(actual, expected);
  if (order === null) return false;
  switch (op) {
    case 'lt':
      return order < 0;
    case 'lte':
      return order <= 0;
    case 'gt':
      return order > 0;
    case 'gte':
      return order >= 0;
  }
}
