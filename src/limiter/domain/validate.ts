import { InvalidInputError } from '../../common/errors';
import { readFields } from '../../common/fields';
import { describeJsonType, fieldPath, indexPath, parseName, parseSafeInt } from '../../common/names';
import { checkTagKey, compareCodePoints, DEFAULT_TAG_LIMITS, parseTags, type Tags } from '../../common/tags';

/** Largest `Limit` of a rule or override (DESIGN §2: integers have documented maxima). */
export const LIMIT_MAX = 1_000_000_000;
/** Largest `Counters` of one increment, decrement or set. */
export const COUNTERS_MAX = 1_000_000_000;
/** Largest value one counter may reach; far above any real use, far below where sums lose precision. */
export const COUNTER_VALUE_MAX = 1_000_000_000_000;

const KEY_RULES = { allowReserved: true, maxKeyLength: DEFAULT_TAG_LIMITS.maxKeyLength };
const GROUP_BY_EXAMPLE = '["repo_name", "branch_name"]';

/** `-1` unlimited, `0` nothing allowed, `n` at most n (up to LIMIT_MAX). */
export function parseLimit(raw: unknown, path: string): number {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw < -1) {
    throw new InvalidInputError(path, `must be -1 (unlimited), 0 (nothing allowed) or a positive integer up to ${LIMIT_MAX}; got ${raw}`);
  }
  return parseSafeInt(raw, path, { min: -1, max: LIMIT_MAX });
}

/** How many counters an increment, decrement (min 1) or set (min 0) moves. */
export function parseCounters(raw: unknown, path: string, min: 0 | 1): number {
  return parseSafeInt(raw, path, { min, max: COUNTERS_MAX });
}

/** Whether `parseCounters` takes `raw` as it is: lets a caller write an error's path only for an error. */
export function validCounters(raw: unknown, min: 0 | 1): raw is number {
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= min && raw <= COUNTERS_MAX && !Object.is(raw, -0);
}

/** Longest idempotency key (`opId`) of a decrement. */
export const OP_ID_MAX_LENGTH = 200;

/** A decrement's optional idempotency key: null when absent, else a string of 1 to OP_ID_MAX_LENGTH characters. */
export function parseOpId(raw: unknown, path: string): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' || raw.length < 1 || raw.length > OP_ID_MAX_LENGTH) {
    throw new InvalidInputError(path, `must be a string of 1 to ${OP_ID_MAX_LENGTH} characters when given; got ${describeJsonType(raw)}`);
  }
  if (raw.includes('\u0000')) throw new InvalidInputError(path, `must not hold a NUL character (PostgreSQL's text cannot, and every store answers alike); use printable text such as "settle:<item id>"`);
  return raw;
}

/** A rule's GroupBy: 1 to 64 distinct tag keys (reserved `_` keys allowed), kept in the order given. */
export function parseGroupBy(raw: unknown, path: string): readonly string[] {
  if (!Array.isArray(raw)) {
    throw new InvalidInputError(path, `must be an array of tag keys such as ${GROUP_BY_EXAMPLE}; got ${describeJsonType(raw)}`);
  }
  if (raw.length === 0) throw new InvalidInputError(path, `must name at least 1 key, such as ${GROUP_BY_EXAMPLE}`);
  const max = DEFAULT_TAG_LIMITS.maxKeys;
  if (raw.length > max) throw new InvalidInputError(path, `names ${raw.length} keys; at most ${max} are allowed`);
  const seen = new Set<string>();
  raw.forEach((key: unknown, index) => {
    const at = indexPath(path, index);
    if (typeof key !== 'string') throw new InvalidInputError(at, `must be a tag key (a string); got ${describeJsonType(key)}`);
    checkTagKey(key, at, KEY_RULES);
    if (seen.has(key)) throw new InvalidInputError(at, `repeats the key "${key}"; name each key once`);
    seen.add(key);
  });
  return Object.freeze([...(raw as string[])]);
}

/** The identity of a GroupBy as a set: its keys sorted by code point (order never matters). */
export function groupSetKey(groupBy: readonly string[]): string {
  return JSON.stringify([...groupBy].sort(compareCodePoints));
}

/** Tags of counters through the port and administration: reserved `_` keys allowed (Willow's `_willow_queue`). */
export function parseAnyTags(raw: unknown, path: string): Tags {
  return parseTags(raw, path, { allowReserved: true });
}

/** DESIGN §6.3: an override names a value for every GroupBy key of its rule (and may add more keys). */
export function checkOverrideKeys(rule: { readonly name: string; readonly groupBy: readonly string[] }, keyValues: Tags, path: string): void {
  const missing = rule.groupBy.filter((key) => !Object.hasOwn(keyValues, key));
  if (missing.length === 0) return;
  const list = missing.map((key) => JSON.stringify(key)).join(', ');
  throw new InvalidInputError(
    path,
    `lacks ${missing.length === 1 ? 'the GroupBy key' : 'the GroupBy keys'} ${list} of rule "${rule.name}"; an override must give a value for every GroupBy key`,
  );
}

export interface NewRule {
  readonly name: string;
  readonly groupBy: readonly string[];
  readonly limit: number;
}

export interface NewOverride {
  readonly name: string;
  readonly keyValues: Tags;
  readonly limit: number;
}

/** `POST /rules`: `{Name, GroupBy, Limit}`. */
export function parseCreateRule(raw: unknown, path: string): NewRule {
  const f = readFields(raw, path, ['Name', 'GroupBy', 'Limit']);
  return {
    name: parseName(f.Name, fieldPath(path, 'Name')),
    groupBy: parseGroupBy(f.GroupBy, fieldPath(path, 'GroupBy')),
    limit: parseLimit(f.Limit, fieldPath(path, 'Limit')),
  };
}

/** `POST /rules/:Name/overrides`: `{Name, KeyValues, Limit}`; KeyValues may name reserved `_` keys. */
export function parseCreateOverride(raw: unknown, path: string): NewOverride {
  const f = readFields(raw, path, ['Name', 'KeyValues', 'Limit']);
  return {
    name: parseName(f.Name, fieldPath(path, 'Name')),
    keyValues: parseAnyTags(f.KeyValues, fieldPath(path, 'KeyValues')),
    limit: parseLimit(f.Limit, fieldPath(path, 'Limit')),
  };
}

/** `PUT` of a rule or override: `{Limit}` (GroupBy and KeyValues are immutable). */
export function parseUpdateLimit(raw: unknown, path: string): { limit: number } {
  const f = readFields(raw, path, ['Limit']);
  return { limit: parseLimit(f.Limit, fieldPath(path, 'Limit')) };
}

/** Re-checks a create-rule command (RPC callers have no DTO) with `parseCreateRule`, in its wire form. */
export function checkNewRule(cmd: NewRule): NewRule {
  return parseCreateRule({ Name: cmd?.name, GroupBy: cmd?.groupBy, Limit: cmd?.limit }, '');
}

export function checkNewOverride(cmd: NewOverride): NewOverride {
  return parseCreateOverride({ Name: cmd?.name, KeyValues: cmd?.keyValues, Limit: cmd?.limit }, '');
}
