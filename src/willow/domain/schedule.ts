import { formatDuration, LIMITS } from '../../common/duration';
import { InvalidInputError } from '../../common/errors';
import { describeJsonType } from '../../common/names';

/** DESIGN §7.8: `Delay` from 0 to 30 days; `NotBefore` at most as far ahead. */
export const DELAY_BOUNDS = { minMs: 0, maxMs: 30 * 86_400_000 };
/** `RetryDelay` from 0 to 24 h; an exponential backoff's delay is capped at 24 h as well. */
export const RETRY_DELAY_BOUNDS = { minMs: 0, maxMs: LIMITS.leaseMaxMs };
export const RETRY_DELAY_CAP_MS = 86_400_000;
export const PRIORITY_BOUNDS = { min: -100, max: 100 };

export type RetryBackoff = 'fixed' | 'exponential';
export const RETRY_BACKOFFS: readonly RetryBackoff[] = ['fixed', 'exponential'];

/** An ISO-8601 time with a date, a time and a zone (`2026-12-24T18:00:00Z`, `2026-12-24T19:00:00.5+01:00`). */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Whether the fields of an ISO_TIME match name a real calendar time (no February 30th, no 24:00). */
function isRealTime(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second = '0', zoneH = '0', zoneM = '0'] = m.slice(1);
  const days = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= days && Number(hour) < 24 && Number(minute) < 60
    && Number(second) < 60 && Number(zoneH) < 24 && Number(zoneM) < 60;
}

/** `NotBefore`: an ISO-8601 time with its zone, as epoch milliseconds. */
export function parseNotBefore(raw: unknown, path: string): number {
  const rule = 'must be an ISO-8601 time with a zone, such as "2026-12-24T18:00:00Z"';
  if (typeof raw !== 'string') throw new InvalidInputError(path, `${rule}; got ${describeJsonType(raw)}`);
  const match = ISO_TIME.exec(raw);
  const ms = match && isRealTime(match) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidInputError(path, `${rule}; got ${JSON.stringify(raw.slice(0, 40))}`);
  return ms;
}

/** When an item is due, as sent: `Delay` (ms) or `NotBefore` (epoch ms), never both; null: at once. */
export type DueSpec = { readonly delayMs: number } | { readonly notBefore: number } | null;

/**
 * The due time a new item is stored with at `now` (epoch ms), or null when it is due at once. A `NotBefore` more
 * than 30 days ahead is refused like a `Delay` above 30 days; one in the past is due at once.
 */
export function dueAtOf(due: DueSpec, now: number, path: string): number | null {
  if (due === null) return null;
  if ('delayMs' in due) return due.delayMs > 0 ? now + due.delayMs : null;
  if (due.notBefore - now > DELAY_BOUNDS.maxMs) {
    throw new InvalidInputError(path, `must be at most ${formatDuration(DELAY_BOUNDS.maxMs)} ahead of the server's clock`);
  }
  return due.notBefore > now ? due.notBefore : null;
}

/**
 * DESIGN §7.8, retry backoff: before re-delivery n (n ≥ 1: the item has been delivered n times) a failed item is due
 * `retryDelayMs` after the failure (fixed), or `retryDelayMs` × 2^(n−1) capped at 24 h (exponential). Null: at once.
 */
export function retryDueAt(item: { readonly attempt: number; readonly retryDelayMs: number; readonly retryBackoff: RetryBackoff }, now: number): number | null {
  if (item.retryDelayMs <= 0) return null;
  const n = Math.max(1, item.attempt);
  const delay = item.retryBackoff === 'exponential' ? Math.min(RETRY_DELAY_CAP_MS, item.retryDelayMs * 2 ** Math.min(n - 1, 40)) : item.retryDelayMs;
  return now + delay;
}

/** Whether an item with due time `notBefore` may be handed out at `now`. */
export function isDue(notBefore: number | null, now: number): boolean {
  return notBefore === null || notBefore <= now;
}
