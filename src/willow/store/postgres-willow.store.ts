import { AlreadyExistsError } from '../../common/errors';
import { afterCommit, ALREADY_COMMITTED, inTransaction, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import { prepared, type PostgresStorage } from '../../platform/storage/postgres/postgres-storage';
import { scalarArray, textArray } from '../../platform/storage/postgres/pg-arrays';
import { unlessStoreDown, WriteBatcher } from '../../platform/storage/postgres/write-batcher';
import { QueueFullError, QueueNotFoundError } from '../domain/willow.errors';
import type { AckResult, ChannelLoad, EnqueueOutcome, HeadLoad, ItemCheck, ItemRecord, LeaseRecord, QueueRecord, ScheduledCount, Settled, StoredItem, WillowChange, WillowStore } from '../willow.store';
import { channelsChanged, QUEUE_CHANGES, type QueueChange } from './postgres-willow.changes';
import { checkDelivery } from '../domain/delivery';
import type { EnqueueInput } from '../domain/enqueue-plan';
import { inLineOrder, PROCESSING, type WAITING } from '../domain/item';
import type { Ack } from '../domain/settlement';
import { AppendsRefused, enqueueItems } from './postgres-willow.enqueue';
import { WILLOW_PG_MIGRATIONS } from './postgres-willow.migrations';
import * as Row from './postgres-willow.rows';
import { cancelTx, countDead, countScheduled, deleteChannelTx, requeueDeadTx, requireQueue, scheduledOf } from './postgres-willow.items';
import { ackPassed, settleLocked } from './postgres-willow.settle';
import * as SQL from './postgres-willow.sql';
import { AnalyzeOnGrowth } from '../../platform/storage/postgres/analyze-on-growth';

/** The most items (or acks) one batched transaction writes; a larger request is written alone. */
const BATCH_ITEMS = 1_000;
/** Items waiting for a queue's enqueue line before a second batch of it goes out while one is written. */
const OVERLAP_ITEMS = 100;

interface SettleRequest {
  readonly acks: readonly Ack[];
  readonly now: number;
}

/** One request's claim: its channel keys (a key named n times asks for n items of the channel) and its time. */
interface ClaimRequest {
  readonly keys: readonly string[];
  readonly now: number;
}

/**
 * The Willow store shared by several instances on one PostgreSQL database. Every claim and settlement is decided by
 * row locks in the database, so instances never hand out one item twice or settle one delivery twice. Every write
 * that changes channels says so on `QUEUE_CHANGES` just after it commits (a queue deletion, inside its transaction),
 * and `watch` hears the other instances' changes and this one's deletions and whole-queue changes. It has no
 * `channelHead`: the service reads channels again when it hears of a change.
 */
export class PostgresWillowStore implements WillowStore {
  /**
   * Enqueues of one queue arriving while one is written are written together (see WriteBatcher). A batch that fails
   * (one that does not fit under MaxItems, or a request the database refuses) is written again in halves, down to
   * single requests, so each request fits or fails on its own. A second batch of a queue is written while one waits
   * for its commit only once OVERLAP_ITEMS items wait: large batches gain from the overlap (batch enqueue +25 % in
   * interleaved A/B runs), while small requests gain from gathering into the next batch (an append call costs the
   * database about as much fixed as 20 items: with two batches of single items in flight, single enqueue made 15 %
   * fewer items/s on one instance and 13-40 % fewer on two). That needs no order between the two: they are requests
   * in flight together, and the channel locks each enqueue takes order the items of a channel by commit.
   */
  private readonly enqueues = new WriteBatcher<EnqueueInput, EnqueueOutcome[] | QueueFullError>((queue, requests) => this.enqueueBatch(queue, requests), {
    maxSize: BATCH_ITEMS,
    inFlight: 2,
    overlapFrom: OVERLAP_ITEMS,
    retryInParts: unlessStoreDown,
  });
  /**
   * Acks of one queue likewise; each ack is judged alone whatever batch it is written in, and a batch that fails is
   * written again in halves, down to single requests, so a request fails only for its own reason, never for a
   * neighbour's (only an unavailable or full store fails them all at once).
   */
  private readonly settles = new WriteBatcher<SettleRequest, AckResult[]>((queue, requests) => this.settleBatch(queue, requests), {
    maxSize: BATCH_ITEMS,
    retryInParts: unlessStoreDown,
  });

  /**
   * Claims of one queue made while one is being written go out together, in one call of willow_claim_heads: each
   * dequeue used to send its own, about one statement per item handed out with 50 consumers of single items (the
   * store's most frequent statement). A batch claims in arrival order (claimBatch); nothing orders two batches, whose
   * claims skip each other's items, so two are written at once.
   */
  private readonly claims = new WriteBatcher<ClaimRequest, Array<StoredItem | null>>((queue, requests) => this.claimBatch(queue, requests), {
    maxSize: BATCH_ITEMS,
    inFlight: 2,
  });

  /** Queues whose updateable items lately collapsed into stored items: those skip the append attempt (enqueueItems). */
  private readonly collapsing = new Set<string>();
  private readonly changes: PgChannel<QueueChange>;
  /** The items table's statistics kept current as it fills (channel reads and claims are planned with them). */
  private readonly itemStats: AnalyzeOnGrowth;

  private constructor(private readonly storage: PostgresStorage) {
    this.changes = storage.channel(QUEUE_CHANGES);
    this.itemStats = new AnalyzeOnGrowth('willow_items', (sql) => storage.query(sql));
  }

  static async open(storage: PostgresStorage): Promise<PostgresWillowStore> {
    await storage.migrate('willow', WILLOW_PG_MIGRATIONS);
    return new PostgresWillowStore(storage);
  }

  async createQueue(name: string, maxItems: number, now: number): Promise<QueueRecord> {
    const rows = await this.storage.query(SQL.INSERT_QUEUE, [name, maxItems, now]);
    if (rows.length === 0) throw new AlreadyExistsError(`Queue "${name}" already exists`, { Queue: name });
    return { name, maxItems, items: 0, paused: false };
  }

  /**
   * Holds the queue's lock exclusively, so the count it takes when a bound is set misses no write in flight. A change
   * of `paused` is announced as a whole-queue change after commit: every instance (this one too) reads the queue again.
   */
  updateQueue(name: string, change: { maxItems?: number; paused?: boolean }): Promise<QueueRecord> {
    return this.storage.tx(async (sql) => {
      await sql.query(SQL.LOCK_QUEUE_EXCLUSIVE, [name]);
      const row = (await sql.query<Row.QueueRow>(SQL.QUEUE, [name])).rows[0];
      if (!row) throw new QueueNotFoundError(name);
      if (change.maxItems !== undefined) await sql.query(SQL.SET_MAX_ITEMS, [name, change.maxItems, row.items]);
      if (change.paused !== undefined) {
        await sql.query(SQL.SET_PAUSED, [name, change.paused]);
        await this.changes.send(afterCommit(sql), { kind: 'queue', queue: name });
      }
      return { ...Row.toQueue(row), maxItems: change.maxItems ?? row.max_items, paused: change.paused ?? Boolean(row.paused) };
    });
  }

  async pausedQueues(queue?: string): Promise<string[]> {
    return (await this.storage.query<{ name: string }>(SQL.PAUSED_QUEUES, [queue ?? null])).map((r) => r.name);
  }

  deleteQueue(name: string): Promise<StoredItem[]> {
    this.collapsing.delete(name);
    return this.storage.tx(async (sql) => {
      await sql.query(SQL.LOCK_QUEUE_EXCLUSIVE, [name]);
      await requireQueue(sql, name);
      const { rows } = await sql.query<Row.ItemRow>(SQL.DELETE_QUEUE_ITEMS, [name]);
      await sql.query(SQL.DELETE_QUEUE, [name]);
      await this.changes.send(inTransaction(sql), { kind: 'queue_deleted', queue: name });
      return rows.map(Row.toItem);
    });
  }

  async hasQueue(name: string): Promise<boolean> {
    return (await this.storage.query(SQL.QUEUE_EXISTS, [name], 'willow_queue_exists')).length > 0;
  }

  async getQueue(name: string): Promise<QueueRecord | null> {
    const [row] = await this.storage.query<Row.QueueRow>(SQL.QUEUE, [name]);
    return row ? Row.toQueue(row) : null;
  }

  async listQueues(afterName: string | null, limit: number): Promise<QueueRecord[]> {
    return (await this.storage.query<Row.QueueRow>(SQL.LIST_QUEUES, [afterName ?? '', limit])).map(Row.toQueue);
  }

  async enqueue(queue: string, items: EnqueueInput): Promise<EnqueueOutcome[]> {
    const result = await this.enqueues.submit(queue, items, items.length);
    if (result instanceof QueueFullError) throw result;
    return result;
  }

  /**
   * Several requests in one transaction, their items planned in arrival order as if sent one by one. When the append
   * call finds the queue without any room, every request of the batch would append at least one item, and each is
   * answered QUEUE_FULL at once, rather than found out by writing the batch again in halves (2n - 1 transactions for
   * n requests, while the queue's later enqueues wait). With some room left, the halves find the requests that fit.
   */
  private async enqueueBatch(queue: string, requests: readonly EnqueueInput[]): Promise<Array<EnqueueOutcome[] | QueueFullError>> {
    let outcomes: EnqueueOutcome[];
    try {
      outcomes = await enqueueItems(this.storage, queue, requests.flat(), this.collapsing);
    } catch (error) {
      if (!(error instanceof AppendsRefused)) throw error;
      if (requests.length === 1 || error.room > 0) throw error.full;
      return requests.map((items) => error.refuse(items.length));
    }
    this.itemStats.grew(outcomes.flat().filter((o) => !o.collapsed).length);
    let at = 0;
    return requests.map((items) => outcomes.slice(at, (at += items.length)));
  }

  async claimHead(queue: string, key: string, now: number): Promise<StoredItem | null> {
    const [item] = await this.claimHeads(queue, [key], now);
    return item;
  }

  claimHeads(queue: string, keys: readonly string[], now: number): Promise<Array<StoredItem | null>> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.claims.submit(queue, { keys, now }, keys.length);
  }

  /**
   * The claims of several requests in one statement, outside any explicit transaction: a channel named n times (by
   * one request or several) gives up to its first n items (CLAIM_HEADS), which the names of it take in line order,
   * the earlier request first, as if the requests had claimed one after the other. Claimed at the latest of their
   * times, which none of them is past. Announced once committed.
   */
  private async claimBatch(queue: string, requests: readonly ClaimRequest[]): Promise<Array<Array<StoredItem | null>>> {
    const times = new Map<string, number>();
    let now = 0;
    for (const request of requests) {
      for (const key of request.keys) times.set(key, (times.get(key) ?? 0) + 1);
      now = Math.max(now, request.now);
    }
    const params = [queue, textArray([...times.keys()]), now, scalarArray([...times.values()])];
    const rows = await this.storage.query<Row.ItemRow>(SQL.CLAIM_HEADS, params, 'willow_claim_heads');
    const claimed = new Map<string, StoredItem[]>();
    for (const item of rows.map(Row.toItem).sort(inLineOrder)) {
      const line = claimed.get(item.key);
      if (line) line.push(item);
      else claimed.set(item.key, [item]);
    }
    if (claimed.size > 0) void this.changes.send(ALREADY_COMMITTED, ...channelsChanged(queue, [...claimed.keys()], 'taken'));
    return requests.map((request) => request.keys.map((key) => claimed.get(key)?.shift() ?? null));
  }

  async check(queue: string, id: string, attempt: number | null): Promise<ItemCheck> {
    const [row] = await this.storage.query<Row.ItemRow>(SQL.ITEM_BY_ID, [id], 'willow_item_by_id');
    return checkDelivery(row && Row.found(row), queue, attempt);
  }

  /** A lease extension changes no channel: nothing is announced. */
  async renew(queue: string, id: string, attempt: number | null, now: number): Promise<ItemCheck> {
    const [row] = await this.storage.query<Row.ItemRow>(SQL.RENEW, [queue, id, attempt, now]);
    if (row) return { kind: 'ok', item: Row.toItem(row) };
    // Not renewed: the delivery is not current, or it is but its lease ran out (then it is lost, not revived).
    const check = await this.check(queue, id, attempt);
    return check.kind === 'ok' ? { kind: 'lease_lost', current: null } : check;
  }

  async settle(queue: string, acks: readonly Ack[], now: number): Promise<AckResult[]> {
    if (acks.length === 0) return [];
    return this.settles.submit(queue, { acks, now }, acks.length);
  }

  /**
   * Several requests' acks judged in arrival order, each at its own request's time: in one call when they all passed
   * and their deliveries are current (ackPassed), else (those it did not settle) in one transaction.
   */
  private async settleBatch(queue: string, requests: readonly SettleRequest[]): Promise<AckResult[][]> {
    const acks = requests.flatMap((r) => r.acks.map((ack) => ({ ...ack, now: r.now })));
    const fast = await ackPassed(this.storage, queue, acks);
    const rest = fast ? acks.filter((_, i) => fast[i] === null) : acks;
    const judged =
      rest.length === 0
        ? []
        : await this.storage.tx(async (sql) => {
            await sql.query(prepared('willow_lock_queue_shared', SQL.LOCK_QUEUE_SHARED, [queue]));
            return settleLocked(this.storage, sql, queue, rest, 'ack');
          });
    let next = 0;
    const results = fast ? fast.map((result) => result ?? judged[next++]) : judged;
    let at = 0;
    return requests.map((r) => results.slice(at, (at += r.acks.length)));
  }

  giveBack(queue: string, id: string, attempt: number): Promise<Settled | null> {
    return this.storage.tx(async (sql) => {
      const [row] = (await sql.query<Row.ItemRow>(SQL.LOCK_ITEMS, [queue, [id]])).rows;
      const check = checkDelivery(row && Row.found(row), queue, attempt);
      if (check.kind !== 'ok') return null;
      await sql.query(SQL.GIVE_BACK, [row.seq]);
      await this.changes.send(afterCommit(sql), ...channelsChanged(queue, [check.item.key]));
      return { item: check.item, outcome: 'given_back' as const };
    });
  }

  /** An unlocked look first (the common answer, when another instance got there, is null), then the locked one. */
  async expireLease(id: string, attempt: number, now: number): Promise<Settled | null> {
    const [due] = await this.storage.query<{ queue: string }>(SQL.DUE_ITEM, [id, attempt, now], 'willow_due_item');
    if (!due) return null;
    const [result] = await this.storage.tx(async (sql) => {
      await sql.query(SQL.LOCK_QUEUE_SHARED, [due.queue]);
      const ack = { id, passed: false, attempt, now };
      return settleLocked(this.storage, sql, due.queue, [ack], 'expiry');
    });
    return 'outcome' in result ? result : null;
  }

  async inspect(queue: string, id: string): Promise<ItemRecord | null> {
    const [row] = await this.storage.query<Row.RecordRow>(SQL.INSPECT_ITEM, [queue, id]);
    return row ? Row.toRecord(row, row.position) : null;
  }

  async listItems(queue: string, state: typeof WAITING | typeof PROCESSING | null, afterSeq: number | null, limit: number): Promise<ItemRecord[]> {
    const rows = await this.storage.query<Row.RecordRow>(SQL.LIST_ITEMS, [queue, state, afterSeq ?? -1, limit]);
    return rows.map((row) => Row.toRecord(row, null));
  }

  /** Under the queue's shared lock with the item's row locked, so it races a settlement or an expiry exactly once. */
  cancel(queue: string, id: string, now: number) {
    return this.storage.tx((sql) => cancelTx(sql, this.changes, queue, id, now));
  }

  deleteChannel(queue: string, key: string): Promise<StoredItem[]> {
    return this.storage.tx((sql) => deleteChannelTx(sql, this.changes, queue, key));
  }

  async listDead(queue: string, afterSeq: number | null, limit: number) {
    return (await this.storage.query<Row.DeadRow>(SQL.LIST_DEAD, [queue, afterSeq ?? -1, limit])).map(Row.toDead);
  }

  requeueDead(queue: string, id: string): Promise<StoredItem | null> {
    return this.storage.tx((sql) => requeueDeadTx(sql, this.changes, queue, id));
  }

  async deleteDead(queue: string, id: string): Promise<boolean> {
    return (await this.storage.query(SQL.DELETE_DEAD, [queue, id])).length > 0;
  }

  countScheduled(queue: string, now: number): Promise<number> {
    return countScheduled(this.storage, queue, now);
  }

  countDead(queue: string): Promise<number> {
    return countDead(this.storage, queue);
  }

  scheduledOf(queue: string, keys: readonly string[], now: number): Promise<Map<string, ScheduledCount>> {
    return scheduledOf(this.storage, queue, keys, now);
  }

  async channelStates(queue: string, keys: readonly string[]): Promise<ChannelLoad[]> {
    if (keys.length === 0) return [];
    return (await this.storage.query<Row.ChannelRow>(SQL.CHANNEL_STATES, [queue, keys])).map(Row.toChannel);
  }

  async channelHeads(queue: string, keys: readonly string[], countUpTo: number): Promise<Map<string, HeadLoad>> {
    if (keys.length === 0) return new Map();
    const rows = await this.storage.query<Row.HeadRow>(SQL.CHANNEL_HEADS, [queue, keys, countUpTo], 'willow_channel_heads');
    return new Map(rows.map((row) => [row.channel, Row.toHead(row)]));
  }

  async loadChannels(queue?: string): Promise<ChannelLoad[]> {
    const rows = await this.storage.query<Row.ChannelRow>(queue === undefined ? SQL.LOAD_CHANNELS : SQL.LOAD_QUEUE_CHANNELS, queue === undefined ? [] : [queue]);
    return rows.map(Row.toChannel);
  }

  async loadLeases(due?: { readonly dueBy: number; readonly limit: number }): Promise<LeaseRecord[]> {
    const rows = due
      ? await this.storage.query<Row.LeaseRow>(SQL.DUE_LEASES, [due.dueBy, due.limit])
      : await this.storage.query<Row.LeaseRow>(SQL.LOAD_LEASES);
    return rows.map(Row.toLease);
  }

  async processingCounts(): Promise<Array<{ queue: string; key: string; processing: number }>> {
    const rows = await this.storage.query<{ queue: string; channel: string; processing: number }>(SQL.PROCESSING_COUNTS);
    return rows.map((r) => ({ queue: r.queue, key: r.channel, processing: r.processing }));
  }

  watch(listener: (change: WillowChange) => void): Promise<void> {
    return this.changes.listen({ message: listener, resync: () => listener({ kind: 'resync' }) });
  }
}
