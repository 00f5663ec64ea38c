import type { ItemAt } from '../domain/item';
import type { ChannelLoad, HeadLoad, LeaseRecord } from '../willow.store';
import { toItem } from './willow.rows';

export { toDead, toItem, toQueue, toRecord, type QueueRow } from './willow.rows';

/** Rows as `pg` returns them: BIGINT (int8) columns arrive as strings, converted with Number (all stay below 2^53). */
type Int8 = string;

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
  last_error: string | null;
  priority: number;
  not_before: Int8 | null;
  retry_delay_ms: Int8;
  retry_exponential: boolean;
}

/** An item with its enqueue time and, when counted, its position. */
export interface RecordRow extends ItemRow {
  enqueued_at: Int8 | null;
  position: number | null;
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
  head_priority: number | null;
  head_due_at: Int8 | null;
}

export interface LeaseRow {
  id: string;
  attempt: number;
  expires_at: Int8;
}

export interface HeadRow {
  channel: string;
  seq: Int8;
  priority: number;
  not_before: Int8 | null;
  waiting: number;
}

export function toHead(row: HeadRow): HeadLoad {
  return { head: { seq: Number(row.seq), priority: row.priority, dueAt: row.not_before === null ? null : Number(row.not_before) }, waiting: row.waiting };
}

export function toChannel(row: ChannelRow): ChannelLoad {
  return {
    queue: row.queue,
    key: row.channel,
    waiting: row.waiting,
    processing: row.processing,
    headSeq: row.head === null ? null : Number(row.head),
    headPriority: row.head_priority ?? 0,
    headDueAt: row.head_due_at === null ? null : Number(row.head_due_at),
  };
}

export function toLease(row: LeaseRow): LeaseRecord {
  return { id: row.id, attempt: row.attempt, expiresAt: Number(row.expires_at) };
}

/** The item with the state it is in, as the domain judges it. */
export function found(row: ItemRow): ItemAt {
  return { item: toItem(row), state: row.state };
}
