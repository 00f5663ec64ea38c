import { afterCommit, ALREADY_COMMITTED } from '../../platform/storage/postgres/pg-channel';
import { scalarArray, textArray } from '../../platform/storage/postgres/pg-arrays';
import { prepared, type PostgresStorage, type Tx } from '../../platform/storage/postgres/postgres-storage';
import { DEAD_REASON, failingChannels, Settlement, type SettleMode, type TimedAck } from '../domain/settlement';
import type { AckResult } from '../willow.store';
import { channelsChanged, QUEUE_CHANGES } from './postgres-willow.changes';
import { found as foundRow, toItem, type ItemRow } from './postgres-willow.rows';
import * as SQL from './postgres-willow.sql';

/**
 * Acks that all passed, each of its own item (the usual batch), settled by one call of willow_ack_items: one statement
 * instead of the settlement transaction's five. The answer of each ack whose delivery it settled (`acked`, as
 * Settlement judges a current delivery whose lease has not run out); null for the others, which changed nothing and
 * go to the settlement transaction to be judged (not found, or their lease lost). Null for a batch it does not take.
 */
export async function ackPassed(storage: PostgresStorage, queue: string, acks: readonly TimedAck[]): Promise<Array<AckResult | null> | null> {
  const ids = acks.map((a) => a.id);
  if (!acks.every((a) => a.passed) || new Set(ids).size !== ids.length) return null;
  const params = [queue, textArray(ids), scalarArray(acks.map((a) => a.attempt)), scalarArray(acks.map((a) => a.now))];
  const rows = await storage.query<ItemRow>(SQL.ACK_ITEMS, params, 'willow_ack_items');
  const settled = new Map(rows.map((row) => [row.id, toItem(row)]));
  await storage.channel(QUEUE_CHANGES).send(ALREADY_COMMITTED, ...channelsChanged(queue, [...settled.values()].map((item) => item.key), 'settled'));
  return acks.map((a) => {
    const item = settled.get(a.id);
    return item ? { item, outcome: 'acked' } : null;
  });
}

/**
 * Settles a batch of deliveries of `queue` in one transaction that holds the queue's shared lock: the items are locked
 * (id order), the domain judges each ack alone, and the accepted ones are written with one statement per kind of
 * change.
 */
export async function settleLocked(storage: PostgresStorage, sql: Tx, queue: string, acks: readonly TimedAck[], mode: SettleMode): Promise<AckResult[]> {
  const now = Math.max(...acks.map((a) => a.now));
  const ids = [...new Set(acks.map((a) => a.id))];
  const { rows } = await sql.query<ItemRow & { max_items: number | null }>(prepared('willow_lock_items', SQL.LOCK_ITEMS, [queue, textArray(ids)]));
  const found = rows.map(foundRow);
  const failing = failingChannels(found, acks);
  const settlement = new Settlement(queue, found, failing.length > 0 ? await loadLastWaiting(sql, queue, failing) : new Map(), mode);
  for (const ack of acks) settlement.judge(ack);
  const results = await applyWrites(sql, settlement, now, DEAD_REASON[mode]);
  const released = settlement.removed.length + settlement.dead.length;
  if (released > 0 && (rows[0]?.max_items ?? -1) >= 0) await sql.query(SQL.RELEASE_ITEMS, [queue, released]);
  // A settlement touches only processing items: unless it put some back in line, every waiting line is as it was.
  const settledOnly = settlement.front.length === 0 && settlement.back.length === 0;
  await storage.channel(QUEUE_CHANGES).send(afterCommit(sql), ...channelsChanged(queue, settlement.keys, settledOnly ? 'settled' : 'added'));
  return results;
}

async function loadLastWaiting(sql: Tx, queue: string, keys: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await sql.query<{ channel: string; seq: string }>(SQL.LAST_WAITING_SEQS, [queue, textArray(keys)]);
  return new Map(rows.map((r) => [r.channel, Number(r.seq)]));
}

/** Writes the settlement's decisions; a back retry's answer carries the place in line it was given. */
async function applyWrites(sql: Tx, writes: Settlement, now: number, reason: string): Promise<AckResult[]> {
  const seqs = (items: readonly { seq: number }[]) => items.map((item) => String(item.seq));
  const errors = (items: readonly { lastError: string | null }[]) => items.map((item) => item.lastError);
  if (writes.removed.length > 0) await sql.query(prepared('willow_delete_items', SQL.DELETE_ITEMS, [textArray(seqs(writes.removed))]));
  if (writes.dead.length > 0) await sql.query(SQL.TO_DEAD, [textArray(seqs(writes.dead)), reason, now, textArray(errors(writes.dead))]);
  const from = [...seqs(writes.front), ...seqs(writes.back)];
  const to = seqs(writes.front);
  if (writes.back.length > 0) {
    const { rows } = await sql.query<{ seq: string }>(SQL.NEXT_SEQS, [writes.back.length]);
    to.push(...rows.map((r) => r.seq));
  }
  const due = [...writes.front, ...writes.back].map((item) => item.notBefore);
  if (from.length > 0) await sql.query(SQL.TO_WAITING, [textArray(from), textArray(to), textArray([...errors(writes.front), ...errors(writes.back)]), scalarArray(due)]);
  return writes.answers(to.slice(writes.front.length).map(Number));
}
