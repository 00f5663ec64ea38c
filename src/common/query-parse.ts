import { InvalidInputError } from './errors';
import { MAX_JSON_DEPTH } from './json-depth';
import { describeJsonType, fieldPath, indexPath, isJsonObject, parseSafeInt } from './names';
import type { CmpOp, Query, Where } from './query-ast';
import { checkTagKey, DEFAULT_TAG_LIMITS, parseTagValue } from './tags';

const QUERY_FIELDS = ['Where', 'MinKeys', 'MaxKeys', 'OnlyKeys'];
const CMP_OPS: Readonly<Record<string, CmpOp>> = {
  $eq: 'eq',
  $ne: 'ne',
  $lt: 'lt',
  $lte: 'lte',
  $gt: 'gt',
  $gte: 'gte',
};
const OPS_LIST = '$eq, $ne, $lt, $lte, $gt, $gte, $in, $nin, $exists';
const KEY_RULES = { allowReserved: true, maxKeyLength: DEFAULT_TAG_LIMITS.maxKeyLength };
const KEY_COUNT = { min: 0, max: Number.MAX_SAFE_INTEGER };
const MISPLACED_OPERATOR =
  'is not allowed here; beside tag keys only $or, $and and $not may appear ' +
  '(comparison operators go inside a key, as in {"os": {"$ne": "linux"}})';
const TRUE: Where = Object.freeze({ kind: 'and', parts: Object.freeze([]) });

/**
 * Largest Query, as JSON text (DESIGN.md §4). Each distinct dequeue query is kept as a dispatch view and every new
 * channel is matched against the views, so a query's size is both memory and per-enqueue work.
 */
export const MAX_QUERY_CHARS = 16 * 1024;

/**
 * Parses a wire Query (`{Where?, MinKeys?, MaxKeys?, OnlyKeys?}`; undefined or `{}` selects everything). Faults are
 * reported under `path`: `Query.Where.os.$gt`, `Query.Where.$or[1].os`; pass `''` for `Where.os.$gt`.
 */
export function parseQuery(raw: unknown, path = 'Query'): Query {
  if (raw === undefined) return Object.freeze({});
  if (!isJsonObject(raw)) {
    const problem = `must be an object such as {"Where": {"os": "linux"}}; got ${describeJsonType(raw)}`;
    throw new InvalidInputError(path, `${problem} (send {} to select everything)`);
  }
  for (const field of Object.keys(raw)) {
    if (!QUERY_FIELDS.includes(field)) throw unknownField(path, field);
  }
  const size = JSON.stringify(raw).length;
  if (size > MAX_QUERY_CHARS) {
    throw new InvalidInputError(path, `is ${size} characters as JSON; at most ${MAX_QUERY_CHARS} are allowed (use $in lists or fewer conditions, or split the work across queues)`);
  }
  const query: { where?: Where; minKeys?: number; maxKeys?: number; onlyKeys?: readonly string[] } = {};
  if (raw.Where !== undefined) {
    const where = parseWhere(raw.Where, fieldPath(path, 'Where'));
    if (where !== TRUE) query.where = where;
  }
  if (raw.MinKeys !== undefined) query.minKeys = parseSafeInt(raw.MinKeys, fieldPath(path, 'MinKeys'), KEY_COUNT);
  if (raw.MaxKeys !== undefined) query.maxKeys = parseSafeInt(raw.MaxKeys, fieldPath(path, 'MaxKeys'), KEY_COUNT);
  if (query.minKeys !== undefined && query.maxKeys !== undefined && query.minKeys > query.maxKeys) {
    const problem = `must not exceed MaxKeys (${query.maxKeys}); lower MinKeys or raise MaxKeys`;
    throw new InvalidInputError(fieldPath(path, 'MinKeys'), problem);
  }
  if (raw.OnlyKeys !== undefined) query.onlyKeys = parseKeyList(raw.OnlyKeys, fieldPath(path, 'OnlyKeys'));
  return Object.freeze(query);
}

function unknownField(path: string, field: string): InvalidInputError {
  const sameName = QUERY_FIELDS.find((known) => known.toLowerCase() === field.toLowerCase());
  const hint = sameName ? `; did you mean "${sameName}"? (field names are PascalCase)` : '';
  const problem = `is not a Query field; use Where, MinKeys, MaxKeys or OnlyKeys${hint}`;
  return new InvalidInputError(fieldPath(path, field), problem);
}

function parseKeyList(raw: unknown, path: string): readonly string[] {
  if (!Array.isArray(raw)) {
    throw new InvalidInputError(
      path,
      `must be an array of tag keys such as ["os", "branch_name"]; got ${describeJsonType(raw)}`,
    );
  }
  const keys = raw.map((key: unknown, index) => {
    const at = indexPath(path, index);
    if (typeof key !== 'string') {
      throw new InvalidInputError(at, `must be a tag key (a string); got ${describeJsonType(key)}`);
    }
    checkTagKey(key, at, KEY_RULES);
    return key;
  });
  return Object.freeze([...new Set(keys)]);
}

/** Parses a wire Where into its normalised form; `{}` becomes the always-true empty `and`. */
export function parseWhere(raw: unknown, path: string): Where {
  return parseWhereAt(raw, path, 1);
}

function parseWhereAt(raw: unknown, path: string, depth: number): Where {
  if (!isJsonObject(raw)) {
    throw new InvalidInputError(
      path,
      `must be an object of conditions such as {"os": "linux"}; got ${describeJsonType(raw)}`,
    );
  }
  // The HTTP layer already refuses deeper JSON; this guards callers that skip it (RPC, tests) from stack overflow.
  if (depth > MAX_JSON_DEPTH) {
    throw new InvalidInputError(path, `nests too deeply; at most ${MAX_JSON_DEPTH} levels are allowed`);
  }
  const parts: Where[] = [];
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    const at = fieldPath(path, key);
    if (key === '$or' || key === '$and') {
      const branches = parseBranches(value, at, depth);
      parts.push(key === '$or' ? or(branches) : and(branches));
    } else if (key === '$not') {
      parts.push(not(parseWhereAt(value, at, depth + 1)));
    } else if (key.startsWith('$')) {
      throw new InvalidInputError(at, MISPLACED_OPERATOR);
    } else {
      checkTagKey(key, at, KEY_RULES);
      parts.push(parseCondition(key, value, at));
    }
  }
  return and(parts);
}

function parseBranches(raw: unknown, path: string, depth: number): Where[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    const got = Array.isArray(raw) ? 'an empty array' : describeJsonType(raw);
    throw new InvalidInputError(
      path,
      `must be a non-empty array of Where objects such as [{"os": "linux"}]; got ${got}`,
    );
  }
  return raw.map((branch: unknown, index) => parseWhereAt(branch, indexPath(path, index), depth + 1));
}

function parseCondition(key: string, raw: unknown, path: string): Where {
  if (isJsonObject(raw)) return parseOps(key, raw, path);
  if (Array.isArray(raw)) {
    throw new InvalidInputError(
      path,
      'must be a value or an object of operators; to match one of several values use {"$in": [...]}',
    );
  }
  if (raw === null) {
    const hint = 'to select tag sets without this key use {"$exists": false}';
    throw new InvalidInputError(
      path,
      `must be a string, finite number, boolean or an object of operators; null is not allowed (${hint})`,
    );
  }
  return { kind: 'cmp', key, op: 'eq', value: parseTagValue(raw, path) };
}

function parseOps(key: string, ops: Record<string, unknown>, path: string): Where {
  const names = Object.keys(ops);
  if (names.length === 0) {
    throw new InvalidInputError(path, `must hold at least one operator (${OPS_LIST}), as in {"$ne": "linux"}`);
  }
  return and(names.map((op) => parseOp(key, op, ops[op], fieldPath(path, op))));
}

function parseOp(key: string, op: string, raw: unknown, path: string): Where {
  if (Object.hasOwn(CMP_OPS, op)) {
    const isRange = op !== '$eq' && op !== '$ne';
    if (isRange && typeof raw === 'boolean') {
      throw new InvalidInputError(path, 'must be a string or a finite number; booleans have no order, use $eq or $ne');
    }
    return { kind: 'cmp', key, op: CMP_OPS[op], value: parseTagValue(raw, path) };
  }
  if (op === '$in' || op === '$nin') {
    if (!Array.isArray(raw)) {
      throw new InvalidInputError(
        path,
        `must be an array of values such as ["linux", "macos"]; got ${describeJsonType(raw)}`,
      );
    }
    const values = raw.map((value: unknown, index) => parseTagValue(value, indexPath(path, index)));
    return { kind: 'in', key, values: Object.freeze(values), negate: op === '$nin' };
  }
  if (op === '$exists') {
    if (typeof raw !== 'boolean') {
      throw new InvalidInputError(path, `must be true or false; got ${describeJsonType(raw)}`);
    }
    return { kind: 'exists', key, exists: raw };
  }
  throw new InvalidInputError(path, `is not an operator; use one of ${OPS_LIST}`);
}

function and(parts: readonly Where[]): Where {
  const flat = parts.flatMap((part) => (part.kind === 'and' ? part.parts : [part]));
  if (flat.length === 0) return TRUE;
  return flat.length === 1 ? flat[0] : { kind: 'and', parts: Object.freeze(flat) };
}

function or(parts: readonly Where[]): Where {
  if (parts.includes(TRUE)) return TRUE;
  const flat = parts.flatMap((part) => (part.kind === 'or' ? part.parts : [part]));
  return flat.length === 1 ? flat[0] : { kind: 'or', parts: Object.freeze(flat) };
}

function not(part: Where): Where {
  return part.kind === 'not' ? part.part : { kind: 'not', part };
}
