import { InvalidInputError } from './errors';
import { optional, readFields } from './fields';
import { fieldPath, parseSafeInt } from './names';

/** One page of a deterministic listing; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** `?Limit=&Cursor=` after parsing: at most `limit` entries strictly after `cursor` in the listing's order. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor: string | null;
}

export const PAGE_LIMIT_DEFAULT = 1_000;
export const PAGE_LIMIT_MAX = 10_000;

const CURSOR_MAX_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The listing key a `?Cursor=` carries: the exact base64url encoding (no padding, no stray bits) of UTF-8 text
 * without a NUL, which is what every `Willow-Next-Cursor` is. Anything else is 400 on every store: a garbled cursor
 * must not silently restart the listing, nor reach a store that cannot hold the text.
 */
export function decodeCursor(cursor: string, path = 'Cursor'): string {
  const bytes = BASE64URL.test(cursor) ? Buffer.from(cursor, 'base64url') : null;
  let key: string | null = null;
  if (bytes && bytes.toString('base64url') === cursor) {
    try {
      key = UTF8.decode(bytes);
    } catch {
      key = null;
    }
  }
  if (key === null || key.includes('\u0000')) {
    throw new InvalidInputError(path, 'is not a cursor this service sent; pass the Willow-Next-Cursor header of the previous page unchanged');
  }
  return key;
}

/**
 * The cursor of a listing ordered by place (items, dead letters): the place (sequence number) of the last entry
 * answered, as decimal text. Anything else is 400, like any cursor this service did not send.
 */
export function placeCursor(cursor: string): number {
  const place = /^(0|[1-9]\d{0,15})$/.test(cursor) ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(place)) {
    throw new InvalidInputError('Cursor', 'is not a cursor of this listing; pass the Willow-Next-Cursor header of the previous page unchanged');
  }
  return place;
}

/** `?Limit=&Cursor=` of every listing: Limit 1 to PAGE_LIMIT_MAX (default PAGE_LIMIT_DEFAULT); an empty Cursor is none. */
export function parsePageRequest(raw: unknown, path: string): PageRequest {
  const f = readFields(raw, path, ['Limit', 'Cursor']);
  const limit = optional(f.Limit, PAGE_LIMIT_DEFAULT, (v) => parseLimit(v, fieldPath(path, 'Limit')));
  return { limit, cursor: optional(f.Cursor, null, (v) => parseCursor(v, fieldPath(path, 'Cursor'))) };
}

function parseLimit(raw: unknown, path: string): number {
  const n = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
  return parseSafeInt(n, path, { min: 1, max: PAGE_LIMIT_MAX });
}

function parseCursor(raw: unknown, path: string): string | null {
  if (typeof raw !== 'string') throw new InvalidInputError(path, 'must be a string');
  if (raw.length > CURSOR_MAX_LENGTH) throw new InvalidInputError(path, `must be shorter than or equal to ${CURSOR_MAX_LENGTH} characters`);
  return raw === '' ? null : decodeCursor(raw, path);
}
