import { InvalidInputError } from './errors';

/** Names of queues, rules and overrides: 1 to this many characters (DESIGN.md §2). */
export const MAX_NAME_LENGTH = 128;

const CONTROL_CHAR = /\p{Cc}/u;
// In a `u` regex a well-formed surrogate pair is one code point, so this finds only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const PLAIN_SEGMENT = /^[A-Za-z_$][\w$-]*$/;
const MAX_SHOWN_KEY = 128;

export function hasControlChar(text: string): boolean {
  return CONTROL_CHAR.test(text);
}

/** Unpaired surrogates cannot be encoded as UTF-8, so they would not survive a URL, a log line or PostgreSQL. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Length in Unicode code points (what a user calls characters); `.length` counts UTF-16 units. */
export function charCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const isLowAfterHigh = unit >= 0xdc00 && unit <= 0xdfff && i > 0 && isHighSurrogate(text.charCodeAt(i - 1));
    if (!isLowAfterHigh) count++;
  }
  return count;
}

/** True when `text` has more than `max` characters; cheap for the common short case. */
export function exceedsChars(text: string, max: number): boolean {
  return text.length > max && charCount(text) > max;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** The path of a field inside `parent`: `KeyValues.os`, `Where.os.$gt`, or `KeyValues["a b"]` for other keys. */
export function fieldPath(parent: string, key: string): string {
  const shown = key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY / 2)}…` : key;
  if (PLAIN_SEGMENT.test(shown)) return parent ? `${parent}.${shown}` : shown;
  return `${parent}[${JSON.stringify(shown)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Plain data object (what JSON.parse makes), not null, an array or a class instance. */
export function isJsonObject(raw: unknown): raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const proto: unknown = Object.getPrototypeOf(raw);
  // A prototype whose own prototype is null is Object.prototype of this or another realm.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** How a rejected value is named in a message: `got null`, `got an array`. */
export function describeJsonType(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  switch (typeof raw) {
    case 'undefined':
      return 'nothing (undefined)';
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return Number.isFinite(raw) ? 'a number' : String(raw);
    case 'boolean':
      return 'a boolean';
    default:
      return `a ${typeof raw}`;
  }
}

/** A queue, rule or override name: 1–128 characters, no control characters, no `/` (DESIGN.md §2). */
export function parseName(raw: unknown, path: string): string {
  const problem = nameProblem(raw);
  if (problem !== null) throw new InvalidInputError(path, problem);
  return raw as string;
}

/**
 * Whether `raw` could name a queue, rule or override. A name in a path that fails this names nothing that exists:
 * the caller answers "not found" without asking a store (which may not even hold such text, e.g. a NUL byte).
 */
export function isName(raw: unknown): raw is string {
  return nameProblem(raw) === null;
}

function nameProblem(raw: unknown): string | null {
  const rule = `a name of 1 to ${MAX_NAME_LENGTH} characters without "/" or control characters`;
  if (typeof raw !== 'string') return `must be ${rule}; got ${describeJsonType(raw)}`;
  if (raw.length === 0) return `must not be empty; use ${rule}`;
  if (exceedsChars(raw, MAX_NAME_LENGTH)) return `is ${charCount(raw)} characters long; shorten it to at most ${MAX_NAME_LENGTH}`;
  if (hasControlChar(raw)) return 'must not contain control characters (such as newlines or tabs); remove them';
  if (raw.includes('/')) return 'must not contain "/"; choose a name without slashes';
  if (hasLoneSurrogate(raw)) return 'must be well-formed Unicode text; remove the unpaired surrogate';
  if (raw === '.' || raw === '..') return 'must not be "." or ".." (URL paths cannot carry them); choose another name';
  return null;
}

/** A JSON integer (a number, never a numeric string) that is a safe integer within `bounds`. */
export function parseSafeInt(raw: unknown, path: string, bounds: { min: number; max: number }): number {
  // Written only for an error: an integer in bounds (every valid call) builds no string.
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= bounds.min && raw <= bounds.max) return raw === 0 ? 0 : raw;
  const rule = `must be an integer from ${bounds.min} to ${bounds.max}`;
  if (typeof raw !== 'number') {
    const hint = typeof raw === 'string' ? '; send a JSON number, not a string' : '';
    throw new InvalidInputError(path, `${rule}; got ${describeJsonType(raw)}${hint}`);
  }
  if (!Number.isSafeInteger(raw)) {
    const what = Number.isFinite(raw) && Number.isInteger(raw) ? 'too large to be exact' : 'not a whole number';
    throw new InvalidInputError(path, `${rule}; ${raw} is ${what}`);
  }
  if (raw < bounds.min || raw > bounds.max) throw new InvalidInputError(path, `${rule}; got ${raw}`);
  return raw === 0 ? 0 : raw;
}
