import { decodeTags } from '../../common/tags';
import { PROCESSING, WAITING } from '../domain/item';
import type { ItemRecord, QueueRecord, StoredItem } from '../willow.store';

/**
 * The item columns both stores keep, as either driver returns them: SQLite gives 0/1 for booleans, `pg` gives BIGINT
 * (int8) columns as strings, converted with Number (all stay below 2^53).
 */
export interface ItemColumns {
  seq: number | string;
  id: string;
  queue: string;
  channel: string;
  state: number;
  data: string;
  updateable: number | boolean;
  retry_attempts: number;
  retry_front: number | boolean;
  timeout_ms: number | string;
  attempt: number;
  expires_at: number | string | null;
  last_error: string | null;
  priority: number;
  not_before: number | string | null;
  retry_delay_ms: number | string;
  retry_exponential: number | boolean;
  enqueued_at?: number | string | null;
}

export interface DeadColumns extends ItemColumns {
  dead_reason: string | null;
  dead_at: number | string | null;
}

export interface QueueRow {
  name: string;
  max_items: number;
  items: number;
  paused: number | boolean;
}

export function toItem(row: ItemColumns): StoredItem {
  return {
    seq: Number(row.seq),
    id: row.id,
    queue: row.queue,
    key: row.channel,
    tags: decodeTags(row.channel),
    data: row.data,
    updateable: Boolean(row.updateable),
    retryAttempts: row.retry_attempts,
    retryPosition: row.retry_front ? 'front' : 'back',
    timeoutMs: Number(row.timeout_ms),
    attempt: row.attempt,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    lastError: row.last_error,
    priority: row.priority,
    notBefore: row.not_before === null ? null : Number(row.not_before),
    retryDelayMs: Number(row.retry_delay_ms),
    retryBackoff: row.retry_exponential ? 'exponential' : 'fixed',
    enqueuedAt: row.enqueued_at == null ? null : Number(row.enqueued_at),
  };
}

export function toDead(row: DeadColumns): StoredItem & { reason: string; deadAt: number } {
  return { ...toItem(row), reason: row.dead_reason ?? 'failed', deadAt: row.dead_at === null ? 0 : Number(row.dead_at) };
}

export function toQueue(row: QueueRow): QueueRecord {
  return { name: row.name, maxItems: row.max_items, items: row.items, paused: Boolean(row.paused) };
}

/** A waiting or processing item's row with its enqueue time, and its position when counted. */
export function toRecord(row: ItemColumns & { enqueued_at: number | string | null }, position: number | null): ItemRecord {
  return {
    item: toItem(row),
    state: row.state === PROCESSING ? PROCESSING : WAITING,
    position: row.state === WAITING ? position : null,
    enqueuedAt: row.enqueued_at === null ? null : Number(row.enqueued_at),
  };
}
