import { InvalidInputError } from './errors';
import {
  charCount,
  describeJsonType,
  exceedsChars,
  fieldPath,
  hasControlChar,
  hasLoneSurrogate,
  isJsonObject,
} from './names';

export type TagValue = string | number | boolean;
/**
 * A tag set (KeyValues, DESIGN.md §3). Tag sets built here have a null prototype and are frozen, so any key can be
 * looked up safely; read them with `Object.hasOwn`, `Object.keys` or `Object.entries`.
 */
export type Tags = Readonly<Record<string, TagValue>>;

export interface TagLimits {
  maxKeys: number;
  maxKeyLength: number;
  maxValueLength: number;
}

export const DEFAULT_TAG_LIMITS: TagLimits = { maxKeys: 64, maxKeyLength: 128, maxValueLength: 1024 };

export interface ParseTagsOptions {
  /** Accept `_`-prefixed keys (rules, overrides, administration); clients' items, locks and counters may not. */
  allowReserved?: boolean;
  limits?: TagLimits;
}

/**
 * A new, empty, null-prototype object to fill with tags and then freeze. The index keeps one tag set per channel, so
 * its size matters: `Object.create(null)` (and a `{__proto__: null}` literal) starts in V8's dictionary mode, and
 * freezing such an object gives it a hidden class of its own: about 250 bytes for a set of one tag, besides its
 * strings. An ordinary `{}` whose prototype is dropped before any key is added keeps fast properties and a hidden
 * class shared by every tag set with the same keys: about 50 bytes. (Dropping the prototype after keys were added
 * costs about 175.)
 */
function emptyTags(): Record<string, TagValue> {
  return Object.setPrototypeOf({}, null) as Record<string, TagValue>;
}

/** Validates client tags (DESIGN.md §3) and returns a frozen, null-prototype copy. */
export function parseTags(raw: unknown, path: string, opts: ParseTagsOptions = {}): Tags {
  const limits = opts.limits ?? DEFAULT_TAG_LIMITS;
  if (!isJsonObject(raw)) {
    throw new InvalidInputError(
      path,
      `must be a JSON object of tags such as {"os": "linux"}; got ${describeJsonType(raw)}`,
    );
  }
  const keys = Object.keys(raw);
  if (keys.length === 0) throw new InvalidInputError(path, 'must hold at least 1 tag, such as {"os": "linux"}');
  // Where reserved keys are allowed they are bounded apart from the others: Willow adds `_willow_queue` to a
  // channel's tags, which may already hold the most keys a client may send.
  const reserved = opts.allowReserved ? keys.filter((key) => key.startsWith('_')).length : 0;
  if (keys.length - reserved > limits.maxKeys) {
    throw new InvalidInputError(path, `holds ${keys.length - reserved} tags; at most ${limits.maxKeys} are allowed, drop some`);
  }
  if (reserved > limits.maxKeys) {
    throw new InvalidInputError(path, `holds ${reserved} reserved (_) tags; at most ${limits.maxKeys} are allowed, drop some`);
  }
  const out = emptyTags();
  for (const key of keys) {
    const at = fieldPath(path, key);
    checkTagKey(key, at, { allowReserved: opts.allowReserved ?? false, maxKeyLength: limits.maxKeyLength });
    out[key] = parseTagValue(raw[key], at, limits.maxValueLength);
  }
  return Object.freeze(out);
}

/** Key rules shared by tags and queries; `at` is the path reported on failure. */
export function checkTagKey(key: string, at: string, opts: { allowReserved: boolean; maxKeyLength: number }): void {
  const max = opts.maxKeyLength;
  if (key.length === 0) {
    throw new InvalidInputError(at, `keys must be 1 to ${max} characters; the empty key is not allowed`);
  }
  if (exceedsChars(key, max)) {
    throw new InvalidInputError(
      at,
      `key is ${charCount(key)} characters long; keys may have at most ${max}, shorten it`,
    );
  }
  if (hasControlChar(key)) {
    throw new InvalidInputError(at, 'keys must not contain control characters (such as newlines or tabs); remove them');
  }
  if (hasLoneSurrogate(key)) {
    throw new InvalidInputError(at, 'keys must be well-formed Unicode text; remove the unpaired surrogate');
  }
  if (key.startsWith('$')) {
    throw new InvalidInputError(at, 'keys must not begin with "$", which marks query operators; rename the key');
  }
  if (!opts.allowReserved && key.startsWith('_')) {
    throw new InvalidInputError(
      at,
      'keys beginning with "_" are reserved for Willow; rename the key without the leading "_"',
    );
  }
  // Copying such a key with plain assignment would drop it silently, so it never enters the system.
  if (key === '__proto__') throw new InvalidInputError(at, '"__proto__" cannot be used as a key; rename it');
}

/** Value rules shared by tags and queries: a string (≤ `maxLength` characters), a finite number, or a boolean. */
export function parseTagValue(raw: unknown, at: string, maxLength = DEFAULT_TAG_LIMITS.maxValueLength): TagValue {
  switch (typeof raw) {
    case 'boolean':
      return raw;
    case 'number':
      if (!Number.isFinite(raw)) {
        throw new InvalidInputError(at, `must be a finite number; ${raw} is not allowed`);
      }
      return raw === 0 ? 0 : raw; // -0 and 0 are one value, as in JSON
    case 'string':
      if (exceedsChars(raw, maxLength)) {
        throw new InvalidInputError(
          at,
          `is ${charCount(raw)} characters long; values may have at most ${maxLength}, shorten it`,
        );
      }
      if (hasLoneSurrogate(raw)) {
        throw new InvalidInputError(at, 'must be well-formed Unicode text; remove the unpaired surrogate');
      }
      return raw;
  }
  throw new InvalidInputError(
    at,
    `must be a string, finite number or boolean; ${describeJsonType(raw)} is not allowed`,
  );
}

/**
 * The one canonical encoding of a tag set, for identity, storage and sorting: a JSON object with keys sorted by
 * code point and values keeping their JSON type, so `{"a":"1"}` and `{"a":1}` differ. Decode with `decodeTags`.
 */
export function canonicalTags(tags: Tags): string {
  const keys = Object.keys(tags);
  sortKeys(keys);
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${JSON.stringify(tags[keys[i]])}`;
  return `${out}}`;
}

/**
 * Sorts tag keys by code point in place. A tag set holds a few keys, and every item enqueued or claimed has its tags
 * encoded (by the Limiter twice): an insertion sort of up to 16 keys allocates nothing, where Array.prototype.sort
 * with a comparator copies the array first (a tenth of what a consumed item allocated).
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort(compareCodePoints);
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    for (; j >= 0 && compareCodePoints(keys[j], key) > 0; j--) keys[j + 1] = keys[j];
    keys[j + 1] = key;
  }
}

/** The most encodings `decodeTags` remembers, and their most characters in all; when either would be passed it
 * forgets them all and starts again. A longer encoding than DECODED_TAGS_LONGEST is never kept. */
export const DECODED_TAGS_KEPT = 16_384;
export const DECODED_TAGS_CHARS = 1_048_576;
export const DECODED_TAGS_LONGEST = 1_024;
const decoded = new Map<string, Tags>();
let decodedChars = 0;

/**
 * Reads back a `canonicalTags` encoding (trusted storage); throws a plain Error if it is corrupt. Every item read from
 * a store has its channel's tags decoded (a claim and its ack each): the sets decoded last are kept by encoding and
 * answered again (a tag set is frozen, so callers can share it), within the bounds above (a few MB at most).
 */
export function decodeTags(encoded: string): Tags {
  const known = decoded.get(encoded);
  if (known !== undefined) return known;
  const tags = decodeFresh(encoded);
  if (encoded.length > DECODED_TAGS_LONGEST) return tags;
  if (decoded.size >= DECODED_TAGS_KEPT || decodedChars + encoded.length > DECODED_TAGS_CHARS) {
    decoded.clear();
    decodedChars = 0;
  }
  decoded.set(encoded, tags);
  decodedChars += encoded.length;
  return tags;
}

function decodeFresh(encoded: string): Tags {
  const parsed: unknown = JSON.parse(encoded);
  if (!isJsonObject(parsed)) throw new Error(`Corrupt tag encoding (not an object): ${encoded.slice(0, 200)}`);
  const out = emptyTags();
  for (const key of Object.keys(parsed)) {
    const value = parsed[key];
    if (!isTagValue(value)) {
      throw new Error(`Corrupt tag encoding (bad value for ${JSON.stringify(key)}): ${encoded.slice(0, 200)}`);
    }
    out[key] = value;
  }
  return Object.freeze(out);
}

function isTagValue(value: unknown): value is TagValue {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' || typeof value === 'boolean';
}

/** Same keys with equal, same-typed values; key order is irrelevant. */
export function tagsEqual(a: Tags, b: Tags): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

/** The tags on `keys` (e.g. a rule's GroupBy), or null when `tags` lacks one of them. */
export function projectTags(tags: Tags, keys: readonly string[]): Tags | null {
  const out = emptyTags();
  for (const key of keys) {
    if (!Object.hasOwn(tags, key)) return null;
    out[key] = tags[key];
  }
  return Object.freeze(out);
}

/** A copy of `tags` with `key` set to `value` (added or replaced); no validation, for Willow's own keys. */
export function withTag(tags: Tags, key: string, value: TagValue): Tags {
  const out = Object.assign(emptyTags(), tags);
  out[key] = value === 0 ? 0 : value;
  return Object.freeze(out);
}

/**
 * Orders numbers with numbers and strings with strings (by code point); booleans are only equal (0) or not
 * comparable (null); values of different types are not comparable (null).
 */
export function compareTagValues(a: TagValue, b: TagValue): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : null;
  return null;
}

/** Code-point order, independent of locale; unlike `<` on strings it sorts U+FF01 before U+1F600. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
