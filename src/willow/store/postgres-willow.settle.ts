import { afterCommit } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { decideFailure, leaseRanOut } from '../domain/retry-policy';
import type { ItemCheck, Settled, StoredItem } from '../willow.store';
import { channelsChanged, QUEUE_CHANGES } from './postgres-willow.changes';
import { DEAD, WAITING } from './postgres-willow.migrations';
import { checkItem, toItem, type ItemRow } from './postgres-willow.rows';
import * as SQL from './postgres-willow.sql';

export interface Ack {
  readonly id: string;
  readonly passed: boolean;
  readonly attempt: number | null;
}

/** An ack with the time it is judged at (its request's). */
export interface TimedAck extends Ack {
  readonly now: number;
}

export type AckResult = Settled | Exclude<ItemCheck, { kind: 'ok' }>;

export interface SettleOptions {
  /** Stored as the dead letter's reason. */
  readonly reason: string;
  /** Lease expiry: only a delivery whose lease ran out by the ack's `now` is settled. Otherwise (an ack) only one whose
   * lease has not run out: a lost lease is LEASE_LOST, never revived. */
  readonly expiry?: boolean;
}

/**
 * One batch being judged: the locked rows as the earlier acks of the batch left them, each channel's last waiting
 * place (for the drop-when-newer rule), and what the accepted acks will write.
 */
class Batch {
  readonly removed: string[] = [];
  readonly dead: string[] = [];
  readonly front: string[] = [];
  readonly back: Array<{ readonly index: number; readonly item: StoredItem }> = [];
  readonly keys = new Set<string>();
  private readonly live: Map<string, { item: StoredItem; state: number }>;

  constructor(
    rows: readonly ItemRow[],
    private readonly lastWaiting: Map<string, number>,
  ) {
    this.live = new Map(rows.map((r) => [r.id, { item: toItem(r), state: r.state }]));
  }

  judge(queue: string, ack: TimedAck, index: number, expiry: boolean): AckResult {
    const entry = this.live.get(ack.id);
    const check = checkItem(entry?.item, queue, entry?.state ?? -1, ack.attempt);
    if (check.kind !== 'ok') return check;
    const { item } = check;
    const ranOut = leaseRanOut(item, ack.now);
    if (expiry && !ranOut) return { kind: 'lease_lost', current: item.attempt };
    if (!expiry && ranOut) return { kind: 'lease_lost', current: null };
    this.keys.add(item.key);
    if (!ack.passed) return this.fail(item, index);
    this.live.delete(item.id);
    this.removed.push(String(item.seq));
    return { item, outcome: 'acked' };
  }

  private fail(item: StoredItem, index: number): Settled {
    const last = this.lastWaiting.get(item.key) ?? -1;
    const outcome = decideFailure({ ...item, newerWaiting: last > item.seq });
    const seq = String(item.seq);
    switch (outcome) {
      case 'dead':
        this.live.set(item.id, { item, state: DEAD });
        this.dead.push(seq);
        break;
      case 'drop':
        this.live.delete(item.id);
        this.removed.push(seq);
        break;
      case 'front':
        this.live.set(item.id, { item, state: WAITING });
        this.lastWaiting.set(item.key, Math.max(last, item.seq));
        this.front.push(seq);
        break;
      case 'back':
        this.live.set(item.id, { item, state: WAITING });
        // It goes behind everything stored, whatever number it is given when the batch is written.
        this.lastWaiting.set(item.key, Number.MAX_SAFE_INTEGER);
        this.back.push({ index, item });
        break;
    }
    return { item, outcome };
  }
}

/**
 * Settles a batch of deliveries of `queue` in one transaction that holds the queue's shared lock: the items are locked
 * (id order), each ack is judged alone, and the accepted ones are written with one statement per kind of change.
 */
export async function settleLocked(storage: PostgresStorage, sql: Tx, queue: string, acks: readonly TimedAck[], opts: SettleOptions): Promise<AckResult[]> {
  const now = Math.max(...acks.map((a) => a.now));
  const ids = [...new Set(acks.map((a) => a.id))];
  const { rows } = await sql.query<ItemRow & { max_items: number | null }>(SQL.LOCK_ITEMS, [queue, ids]);
  const failing = rows.filter((r) => acks.some((a) => a.id === r.id && !a.passed)).map((r) => r.channel);
  const batch = new Batch(rows, failing.length > 0 ? await loadLastWaiting(sql, queue, failing) : new Map());
  const results = acks.map((ack, index) => batch.judge(queue, ack, index, opts.expiry ?? false));
  await applyWrites(sql, batch, results, now, opts.reason);
  const released = batch.removed.length + batch.dead.length;
  if (released > 0 && (rows[0]?.max_items ?? -1) >= 0) await sql.query(SQL.RELEASE_ITEMS, [queue, released]);
  await storage.channel(QUEUE_CHANGES).send(afterCommit(sql), ...channelsChanged(queue, batch.keys));
  return results;
}

async function loadLastWaiting(sql: Tx, queue: string, keys: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await sql.query<{ channel: string; seq: string }>(SQL.LAST_WAITING_SEQS, [queue, [...new Set(keys)]]);
  return new Map(rows.map((r) => [r.channel, Number(r.seq)]));
}

/** Writes the batch's decisions; a back retry's result carries the place in line it was given. */
async function applyWrites(sql: Tx, writes: Batch, results: AckResult[], now: number, reason: string): Promise<void> {
  if (writes.removed.length > 0) await sql.query(SQL.DELETE_ITEMS, [writes.removed]);
  if (writes.dead.length > 0) await sql.query(SQL.TO_DEAD, [writes.dead, reason, now]);
  const from = [...writes.front];
  const to = [...writes.front];
  if (writes.back.length > 0) {
    const { rows } = await sql.query<{ seq: string }>(SQL.NEXT_SEQS, [writes.back.length]);
    writes.back.forEach(({ index, item }, i) => {
      from.push(String(item.seq));
      to.push(rows[i].seq);
      results[index] = { item: { ...item, seq: Number(rows[i].seq) }, outcome: 'back' };
    });
  }
  if (from.length > 0) await sql.query(SQL.TO_WAITING, [from, to]);
}
