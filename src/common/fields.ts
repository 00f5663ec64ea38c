import { InvalidInputError } from './errors';
import { describeJsonType, fieldPath, indexPath, isJsonObject } from './names';

/** What an unknown field is told (DESIGN §2: a typo like `Selections` never silently means "everything"). */
export const UNKNOWN_FIELD = 'is not a known field; remove it (field names are PascalCase)';

/**
 * The fields of a request object, copied from its own keys: refused when it is not an object or names a field
 * outside `known`. A command's parser reads the known fields in order, so the first fault is the one reported.
 */
export function readFields<K extends string>(raw: unknown, path: string, known: readonly K[]): Partial<Record<K, unknown>> {
  if (!isJsonObject(raw)) throw new InvalidInputError(path, `must be an object (got ${describeJsonType(raw)})`);
  const fields: Partial<Record<K, unknown>> = {};
  for (const key of Object.keys(raw)) {
    if (!(known as readonly string[]).includes(key)) throw new InvalidInputError(fieldPath(path, key), UNKNOWN_FIELD);
    fields[key as K] = raw[key];
  }
  return fields;
}

/** `fallback` when the field is absent, else what `parse` makes of it. */
export function optional<T>(raw: unknown, fallback: T, parse: (raw: unknown) => T): T {
  return raw === undefined ? fallback : parse(raw);
}

export function parseBoolean(raw: unknown, path: string): boolean {
  if (typeof raw !== 'boolean') throw new InvalidInputError(path, 'must be a boolean value');
  return raw;
}

export function parseOneOf<T extends string>(raw: unknown, path: string, values: readonly T[]): T {
  if (!values.includes(raw as T)) throw new InvalidInputError(path, `must be one of the following values: ${values.join(', ')}`);
  return raw as T;
}

/** An opaque string a client hands back (an item ID, a SessionID): not empty, at most `max` UTF-16 units. */
export function parseToken(raw: unknown, path: string, max: number): string {
  if (typeof raw !== 'string') throw new InvalidInputError(path, 'must be a string');
  if (raw === '') throw new InvalidInputError(path, 'should not be empty');
  if (raw.length > max) throw new InvalidInputError(path, `must be shorter than or equal to ${max} characters`);
  return raw;
}

/** A batch: 1 to `max` entries, each parsed under its index (`Items[3].KeyValues.os`). */
export function parseBatch<T>(raw: unknown, path: string, batch: { noun: string; max: number }, parseOne: (raw: unknown, path: string) => T): T[] {
  if (!Array.isArray(raw)) throw new InvalidInputError(path, `must be an array of ${batch.noun} (got ${describeJsonType(raw)})`);
  if (raw.length < 1 || raw.length > batch.max) {
    throw new InvalidInputError(path, `must hold 1 to ${batch.max} ${batch.noun} (got ${raw.length}); split larger batches`);
  }
  return raw.map((entry, i) => parseOne(entry, indexPath(path, i)));
}
