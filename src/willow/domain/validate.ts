import { LIMITS, parseDuration } from '../../common/duration';
import { InvalidInputError, TooLargeError } from '../../common/errors';
import { isName, parseSafeInt } from '../../common/names';
import { parseTags } from '../../common/tags';
import type { NewItem } from '../willow.port';
import { QueueNotFoundError } from './willow.errors';

export const ITEM_TIMEOUT_DEFAULT_MS = 60_000;
export const DEQUEUE_WAIT_DEFAULT_MS = 30_000;
export const RETRY_ATTEMPTS_MAX = 1_000_000;
export const MAX_ITEMS_MAX = 1_000_000_000;
export const BATCH_MAX = 1_000;
export const DEQUEUE_COUNT_MAX = 100;
export const LEASE_BOUNDS = { minMs: LIMITS.leaseMinMs, maxMs: LIMITS.leaseMaxMs };
export const WAIT_BOUNDS = { minMs: 0, maxMs: LIMITS.waitMaxMs };

/**
 * Re-checks an item with the kernel parsers (callers without the HTTP DTO get the same errors) and its Data size;
 * returns Data's JSON text, measured once and stored as it is.
 */
export function checkItem(item: NewItem, path: string, maxDataBytes: number): string {
  parseTags(item.tags, `${path}KeyValues`);
  if (item.data === undefined) throw new InvalidInputError(`${path}Data`, 'is required; send any JSON value (null included)');
  const data = JSON.stringify(item.data);
  const bytes = Buffer.byteLength(data, 'utf8');
  if (bytes > maxDataBytes) throw new TooLargeError(`${path}Data (${bytes} bytes as JSON)`, maxDataBytes);
  parseSafeInt(item.retryAttempts, `${path}RetryAttempts`, { min: 0, max: RETRY_ATTEMPTS_MAX });
  parseDuration(item.timeoutMs, `${path}Timeout`, LEASE_BOUNDS);
  if (item.retryPosition !== 'front' && item.retryPosition !== 'back') {
    throw new InvalidInputError(`${path}RetryPosition`, 'must be "front" or "back"');
  }
  return data;
}

/** A queue named in a path: a name no queue can carry is an unknown queue (QUEUE_NOT_FOUND), whatever the store. */
export function knownQueueName(name: string): string {
  if (!isName(name)) throw new QueueNotFoundError(name);
  return name;
}
