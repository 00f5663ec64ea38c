import { decodeTags } from '../../common/tags';
import type { ChannelLoad, ItemCheck, LeaseRecord, QueueRecord, StoredItem } from '../willow.store';
import { PROCESSING } from './postgres-willow.migrations';

/** Rows as `pg` returns them: BIGINT (int8) columns arrive as strings, converted with Number (all stay below 2^53). */
type Int8 = string;

export interface QueueRow {
  name: string;
  max_items: number;
  items: number;
}

export interface ItemRow {
  seq: Int8;
  id: string;
  queue: string;
  channel: string;
  state: number;
  data: string;
  updateable: boolean;
  retry_attempts: number;
  retry_front: boolean;
  timeout_ms: Int8;
  attempt: number;
  expires_at: Int8 | null;
}

export interface DeadRow extends ItemRow {
  dead_reason: string | null;
  dead_at: Int8 | null;
}

export interface ChannelRow {
  queue: string;
  channel: string;
  waiting: number;
  processing: number;
  head: Int8 | null;
}

export interface LeaseRow {
  id: string;
  attempt: number;
  expires_at: Int8;
}

export function toItem(row: ItemRow): StoredItem {
  return {
    seq: Number(row.seq),
    id: row.id,
    queue: row.queue,
    key: row.channel,
    tags: decodeTags(row.channel),
    data: row.data,
    updateable: row.updateable,
    retryAttempts: row.retry_attempts,
    retryPosition: row.retry_front ? 'front' : 'back',
    timeoutMs: Number(row.timeout_ms),
    attempt: row.attempt,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

export function toDead(row: DeadRow): StoredItem & { reason: string; deadAt: number } {
  return { ...toItem(row), reason: row.dead_reason ?? 'failed', deadAt: row.dead_at === null ? 0 : Number(row.dead_at) };
}

export function toQueue(row: QueueRow): QueueRecord {
  return { name: row.name, maxItems: row.max_items, items: row.items };
}

export function toChannel(row: ChannelRow): ChannelLoad {
  return {
    queue: row.queue,
    key: row.channel,
    waiting: row.waiting,
    processing: row.processing,
    headSeq: row.head === null ? null : Number(row.head),
  };
}

export function toLease(row: LeaseRow): LeaseRecord {
  return { id: row.id, attempt: row.attempt, expiresAt: Number(row.expires_at) };
}

/** Judges a delivery as the SQLite store does: `ok` only while processing at `attempt` (when given). */
export function checkItem(item: StoredItem | undefined, queue: string, state: number, attempt: number | null): ItemCheck {
  if (!item || item.queue !== queue) return { kind: 'not_found' };
  if (state === PROCESSING && (attempt === null || attempt === item.attempt)) return { kind: 'ok', item };
  if (attempt === null) return { kind: 'not_found' };
  return { kind: 'lease_lost', current: state === PROCESSING ? item.attempt : null };
}
