import { LIMITS, parseDuration } from '../../common/duration';
import { InvalidInputError, TooLargeError } from '../../common/errors';
import { optional, parseBatch, parseBoolean, parseOneOf, readFields } from '../../common/fields';
import { fieldPath, isName, parseName, parseSafeInt } from '../../common/names';
import { parseTags, type Tags } from '../../common/tags';
import type { NewItem, QueueUpdate, RetryBackoff, RetryPosition } from '../willow.port';
import { QueueNotFoundError } from './willow.errors';
import { DELAY_BOUNDS, parseNotBefore, PRIORITY_BOUNDS, RETRY_BACKOFFS, RETRY_DELAY_BOUNDS, type DueSpec } from './schedule';

/** An epoch-ms time in its wire form; a number no Date can hold is passed on as it is, for the parser to refuse. */
function isoTime(ms: unknown): unknown {
  return typeof ms === 'number' && Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : ms;
}

export const ITEM_TIMEOUT_DEFAULT_MS = 60_000;
export const DEQUEUE_WAIT_DEFAULT_MS = 30_000;
export const RETRY_ATTEMPTS_MAX = 1_000_000;
export const MAX_ITEMS_MAX = 1_000_000_000;
export const BATCH_MAX = 1_000;
export const DEQUEUE_COUNT_MAX = 100;
export const LEASE_BOUNDS = { minMs: LIMITS.leaseMinMs, maxMs: LIMITS.leaseMaxMs };
export const WAIT_BOUNDS = { minMs: 0, maxMs: LIMITS.waitMaxMs };

const RETRY_POSITIONS: readonly RetryPosition[] = ['front', 'back'];
const ITEM_FIELDS = [
  'KeyValues', 'Data', 'Updateable', 'RetryAttempts', 'RetryPosition', 'Timeout', 'Priority', 'Delay', 'NotBefore', 'RetryDelay', 'RetryBackoff',
] as const;

/**
 * The one judge of an item to enqueue: the body of a single enqueue (`path` ''), each entry of a batch
 * (`Items[3]`), and, through `checkItems`, the items of an in-process caller. Absent fields take their defaults.
 */
export function parseEnqueue(raw: unknown, path: string): NewItem {
  const f = readFields(raw, path, ITEM_FIELDS);
  const at = (field: string) => fieldPath(path, field);
  const tags = parseTags(f.KeyValues, at('KeyValues'));
  if (f.Data === undefined) throw new InvalidInputError(at('Data'), 'is required; send any JSON value (binary as a base64 string)');
  return Object.freeze(
    new JudgedItem(
      tags,
      f.Data,
      optional(f.Updateable, true, (v) => parseBoolean(v, at('Updateable'))),
      optional(f.RetryAttempts, 0, (v) => parseSafeInt(v, at('RetryAttempts'), { min: 0, max: RETRY_ATTEMPTS_MAX })),
      optional(f.RetryPosition, 'front', (v) => parseOneOf(v, at('RetryPosition'), RETRY_POSITIONS)),
      optional(f.Timeout, ITEM_TIMEOUT_DEFAULT_MS, (v) => parseDuration(v, at('Timeout'), LEASE_BOUNDS)),
      optional(f.Priority, 0, (v) => parseSafeInt(v, at('Priority'), PRIORITY_BOUNDS)),
      parseDue(f.Delay, f.NotBefore, path),
      optional(f.RetryDelay, 0, (v) => parseDuration(v, at('RetryDelay'), RETRY_DELAY_BOUNDS)),
      optional(f.RetryBackoff, 'fixed', (v) => parseOneOf(v, at('RetryBackoff'), RETRY_BACKOFFS)),
    ),
  );
}

/** Made by `parseEnqueue` and frozen since: a copy made on JudgedItem's prototype (Object.create, a deep-clone
 * helper) is not what was judged. */
function isJudged(item: NewItem): boolean {
  return item instanceof JudgedItem && Object.isFrozen(item);
}

/**
 * An item `parseEnqueue` made, frozen (its tags are too), so it still holds what was judged: `checkItems` passes it
 * on without judging it again (an HTTP request's items were judged by the validation pipe). A class rather than a
 * set of judged items: a weak set cost more per item (about 0.4 us, and more work for the collector) than judging again.
 */
class JudgedItem implements NewItem {
  readonly delayMs: number | null;
  readonly notBefore: number | null;

  constructor(
    readonly tags: Tags,
    readonly data: unknown,
    readonly updateable: boolean,
    readonly retryAttempts: number,
    readonly retryPosition: RetryPosition,
    readonly timeoutMs: number,
    readonly priority: number,
    due: { delayMs: number | null; notBefore: number | null },
    readonly retryDelayMs: number,
    readonly retryBackoff: RetryBackoff,
  ) {
    this.delayMs = due.delayMs;
    this.notBefore = due.notBefore;
  }
}

/** `Delay` or `NotBefore` (DESIGN §7.8), never both. */
function parseDue(delay: unknown, notBefore: unknown, path: string): { delayMs: number | null; notBefore: number | null } {
  if (delay !== undefined && notBefore !== undefined) {
    throw new InvalidInputError(fieldPath(path, 'NotBefore'), 'cannot be sent with Delay; send one of them');
  }
  return {
    delayMs: optional(delay, null, (v) => parseDuration(v, fieldPath(path, 'Delay'), DELAY_BOUNDS)),
    notBefore: optional(notBefore, null, (v) => parseNotBefore(v, fieldPath(path, 'NotBefore'))),
  };
}

/** When an item is due as sent (see `dueAtOf`). */
export function dueSpecOf(item: NewItem): DueSpec {
  if (item.notBefore != null) return { notBefore: item.notBefore };
  return item.delayMs != null ? { delayMs: item.delayMs } : null;
}

/** The body of a batch enqueue: `{Items}` of 1 to BATCH_MAX items; a fault names its index (`Items[3].KeyValues.os`). */
export function parseEnqueueBatch(raw: unknown, path: string): NewItem[] {
  const f = readFields(raw, path, ['Items']);
  return parseBatch(f.Items, fieldPath(path, 'Items'), { noun: 'items', max: BATCH_MAX }, parseEnqueue);
}

/**
 * Items from a caller without the HTTP body (in-process or RPC), judged by `parseEnqueue` in their wire form, so
 * they get the same codes, messages and paths (`KeyValues.os` for one item, `Items[3].KeyValues.os` for more). Items
 * that `parseEnqueue` made (frozen) are passed on as they are: they were judged when they were made.
 */
export function checkItems(items: readonly NewItem[]): readonly NewItem[] {
  if (items.length > 0 && items.length <= BATCH_MAX && items.every((item) => isJudged(item))) return items;
  const wire = items.map((item) => {
    const fields: Record<string, unknown> = {
      KeyValues: item?.tags,
      Data: item?.data,
      Updateable: item?.updateable,
      RetryAttempts: item?.retryAttempts,
      RetryPosition: item?.retryPosition,
      Timeout: item?.timeoutMs,
    };
    // The lifecycle fields only when given (absent ones take their defaults): an enqueue that uses none pays nothing.
    if (item?.priority !== undefined && item.priority !== 0) fields.Priority = item.priority;
    if (item?.delayMs != null) fields.Delay = item.delayMs;
    if (item?.notBefore != null) fields.NotBefore = isoTime(item.notBefore);
    if (item?.retryDelayMs !== undefined && item.retryDelayMs !== 0) fields.RetryDelay = item.retryDelayMs;
    if (item?.retryBackoff !== undefined && item.retryBackoff !== 'fixed') fields.RetryBackoff = item.retryBackoff;
    return fields;
  });
  return wire.length === 1 ? [parseEnqueue(wire[0], '')] : parseEnqueueBatch({ Items: wire }, '');
}

/** An item's Data as the JSON text stored, refused above `maxDataBytes`; `path` is the item's (`Items[3]` or ''). */
export function dataJson(data: unknown, path: string, maxDataBytes: number): string {
  const json = JSON.stringify(data);
  if (json.length * 3 <= maxDataBytes) return json; // fits even if every UTF-16 unit took 3 bytes of UTF-8
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxDataBytes) throw new TooLargeError(`${fieldPath(path, 'Data')} (${bytes} bytes as JSON)`, maxDataBytes);
  return json;
}

/** `POST /queues`: a name and an optional MaxItems (-1, unlimited, by default). */
export function parseCreateQueue(raw: unknown, path: string): { name: string; maxItems: number } {
  const f = readFields(raw, path, ['Name', 'MaxItems']);
  return {
    name: parseName(f.Name, fieldPath(path, 'Name')),
    maxItems: optional(f.MaxItems, -1, (v) => parseMaxItems(v, fieldPath(path, 'MaxItems'))),
  };
}

/** `PUT /queues/:Name`: a new MaxItems, Paused, or both; an absent field keeps its value, and one is required. */
export function parseUpdateQueue(raw: unknown, path: string): Omit<QueueUpdate, 'name'> {
  const f = readFields(raw, path, ['MaxItems', 'Paused']);
  if (f.MaxItems === undefined && f.Paused === undefined) {
    throw new InvalidInputError(path, 'must give MaxItems, Paused or both (an absent field keeps its value)');
  }
  return {
    ...(f.MaxItems !== undefined && { maxItems: parseMaxItems(f.MaxItems, fieldPath(path, 'MaxItems')) }),
    ...(f.Paused !== undefined && { paused: parseBoolean(f.Paused, fieldPath(path, 'Paused')) }),
  };
}

export function parseMaxItems(raw: unknown, path: string): number {
  return parseSafeInt(raw, path, { min: -1, max: MAX_ITEMS_MAX });
}

/** `DELETE /queues/:Name/channels`: the channel's exact tag set. */
export function parseDeleteChannel(raw: unknown, path: string): { tags: Tags } {
  const f = readFields(raw, path, ['KeyValues']);
  return { tags: parseTags(f.KeyValues, fieldPath(path, 'KeyValues')) };
}

/** A queue named in a path: a name no queue can carry is an unknown queue (QUEUE_NOT_FOUND), whatever the store. */
export function knownQueueName(name: string): string {
  if (!isName(name)) throw new QueueNotFoundError(name);
  return name;
}
