import { AlreadyExistsError } from '../../common/errors';
import type { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { decideCancel } from '../domain/cancel';
import { checkDelivery, liveDelivery } from '../domain/delivery';
import { assertRoom, channelsOf, planEnqueue, type EnqueueInput } from '../domain/enqueue-plan';
import { DEAD, PROCESSING, WAITING, type ItemAt, type ItemCheck } from '../domain/item';
import { DEAD_REASON, failingChannels, Settlement, type Ack, type SettleMode } from '../domain/settlement';
import { QueueNotFoundError } from '../domain/willow.errors';
import { isDue } from '../domain/schedule';
import type { AckResult, ChannelHead, ChannelLoad, EnqueueOutcome, HeadLoad, ItemRecord, LeaseRecord, QueueRecord, ScheduledCount, Settled, StoredItem, WillowStore } from '../willow.store';
import { WILLOW_MIGRATIONS } from './sqlite-willow.schema';
import { writePlan, writeSettlement } from './sqlite-willow.writes';
import { flag, prepareWillowStatements, toChannel, type CountRow } from './sqlite-willow.statements';
import { toDead, toItem, toQueue, toRecord, type QueueRow } from './willow.rows';

export class SqliteWillowStore implements WillowStore {
  private readonly sql;
  private nextSeq: number;

  constructor(private readonly storage: EmbeddedStorage) {
    storage.migrate('willow', WILLOW_MIGRATIONS);
    this.sql = prepareWillowStatements(storage.db);
    this.nextSeq = (this.sql.maxSeq.get()?.seq ?? 0) + 1;
  }

  createQueue(name: string, maxItems: number, now: number): Promise<QueueRecord> {
    return this.storage.write(() => {
      if (this.sql.queue.get(name)) throw new AlreadyExistsError(`Queue "${name}" already exists`, { Queue: name });
      this.sql.insertQueue.run(name, maxItems, now);
      return { name, maxItems, items: 0, paused: false };
    });
  }

  updateQueue(name: string, change: { maxItems?: number; paused?: boolean }): Promise<QueueRecord> {
    return this.storage.write(() => {
      const row = this.requireQueue(name);
      if (change.maxItems !== undefined) this.sql.setMaxItems.run(change.maxItems, name);
      if (change.paused !== undefined) this.sql.setPaused.run(flag(change.paused), name);
      return { ...toQueue(row), maxItems: change.maxItems ?? row.max_items, paused: change.paused ?? Boolean(row.paused) };
    });
  }

  async pausedQueues(queue?: string): Promise<string[]> {
    if (queue !== undefined) return this.storage.read(() => (this.sql.queue.get(queue)?.paused ? [queue] : []));
    return this.storage.read(() => this.sql.pausedQueues.all().map((r) => r.name));
  }

  deleteQueue(name: string): Promise<StoredItem[]> {
    return this.storage.write(() => {
      this.requireQueue(name);
      const processing = this.sql.processingOfQueue.all(name).map(toItem);
      this.sql.deleteItemsOfQueue.run({ queue: name });
      this.sql.deleteQueue.run(name);
      return processing;
    });
  }

  async getQueue(name: string): Promise<QueueRecord | null> {
    const row = this.storage.read(() => this.sql.queue.get(name));
    return row ? toQueue(row) : null;
  }

  async hasQueue(name: string): Promise<boolean> {
    return this.storage.read(() => this.sql.queue.get(name) !== undefined);
  }

  async listQueues(afterName: string | null, limit: number): Promise<QueueRecord[]> {
    return this.storage.read(() => this.sql.listQueues.all(afterName ?? '', limit).map(toQueue));
  }

  /** Reads each channel's last waiting item, lets the domain plan the batch, and writes the plan. Only an updateable
   * one changes the plan (a new item collapses into it): where no item of the queue waits updateable, none is read. */
  enqueue(queue: string, items: EnqueueInput): Promise<EnqueueOutcome[]> {
    return this.storage.write(() => {
      const q = this.requireQueue(queue);
      const last = (this.sql.hasUpdateableWaiting.get(queue) === undefined ? [] : channelsOf(items)).flatMap((key) => {
        const row = this.sql.lastWaiting.get(queue, key);
        return row ? [[key, { seq: row.seq, id: row.id, updateable: row.updateable === 1, priority: row.priority }] as const] : [];
      });
      const plan = planEnqueue(items, new Map(last));
      assertRoom(queue, { maxItems: q.max_items, items: q.items }, plan.inserts.length);
      writePlan(this.sql, queue, plan, () => this.nextSeq++);
      return plan.outcomes;
    });
  }

  claimHead(queue: string, key: string, now: number): Promise<StoredItem | null> {
    return this.storage.write(() => this.claimNow(queue, key, now));
  }

  claimHeads(queue: string, keys: readonly string[], now: number): Promise<Array<StoredItem | null>> {
    return this.storage.write(() => keys.map((key) => this.claimNow(queue, key, now)));
  }

  async check(queue: string, id: string, attempt: number | null): Promise<ItemCheck> {
    return checkDelivery(this.storage.read(() => this.find(id)), queue, attempt);
  }

  renew(queue: string, id: string, attempt: number | null, now: number): Promise<ItemCheck> {
    return this.storage.write(() => {
      const check = liveDelivery(checkDelivery(this.find(id), queue, attempt), now);
      if (check.kind !== 'ok') return check;
      const expiresAt = now + check.item.timeoutMs;
      this.sql.renew.run(expiresAt, check.item.seq);
      return { kind: 'ok', item: { ...check.item, expiresAt } };
    });
  }

  settle(queue: string, acks: readonly Ack[], now: number): Promise<AckResult[]> {
    return this.storage.write(() => this.settleNow(queue, acks, now, 'ack'));
  }

  giveBack(queue: string, id: string, attempt: number): Promise<Settled | null> {
    return this.storage.write(() => {
      const check = checkDelivery(this.find(id), queue, attempt);
      if (check.kind !== 'ok') return null;
      this.sql.giveBack.run(check.item.seq);
      return { item: check.item, outcome: 'given_back' as const };
    });
  }

  expireLease(id: string, attempt: number, now: number): Promise<Settled | null> {
    return this.storage.write(() => {
      const row = this.sql.byId.get(id);
      if (!row) return null;
      const [result] = this.settleNow(row.queue, [{ id, passed: false, attempt }], now, 'expiry');
      return 'outcome' in result ? result : null;
    });
  }

  async inspect(queue: string, id: string): Promise<ItemRecord | null> {
    return this.storage.read(() => {
      const row = this.sql.byId.get(id);
      if (!row || row.queue !== queue || (row.state !== WAITING && row.state !== PROCESSING)) return null;
      const place = { queue, channel: row.channel, priority: row.priority, seq: row.seq };
      const position = row.state === WAITING ? this.sql.position.get(place)!.n : null;
      return toRecord(row, position);
    });
  }

  async listItems(queue: string, state: typeof WAITING | typeof PROCESSING | null, afterSeq: number | null, limit: number): Promise<ItemRecord[]> {
    const rows = this.storage.read(() => this.sql.listItems.all({ queue, state, after: afterSeq ?? -1, limit }));
    return rows.map((row) => toRecord(row, null));
  }

  cancel(queue: string, id: string, now: number) {
    return this.storage.write(() => {
      this.sql.purgeCancelled.run(queue, now);
      const decision = decideCancel(this.find(id), queue);
      if (decision.kind === 'not_found') return null;
      if (decision.kind === 'remove') this.sql.deleteItem.run(decision.item.seq);
      else this.sql.markCancelled.run(decision.item.seq);
      this.sql.addItems.run(-1, queue);
      return { item: decision.item, was: decision.was };
    });
  }

  deleteChannel(queue: string, key: string): Promise<StoredItem[]> {
    return this.storage.write(() => {
      this.requireQueue(queue);
      const processing = this.sql.processingOfChannel.all({ queue, channel: key }).map(toItem);
      // The processing items are deleted by the places just read: finding them again would read every item in flight.
      const removed =
        this.sql.deleteWaitingOfChannel.run({ queue, channel: key }).changes +
        (processing.length > 0 ? this.sql.deleteItems.run(JSON.stringify(processing.map((item) => item.seq))).changes : 0);
      if (removed > 0) this.sql.addItems.run(-removed, queue);
      return processing;
    });
  }

  async listDead(queue: string, afterSeq: number | null, limit: number) {
    return this.storage.read(() => this.sql.listDead.all(queue, afterSeq ?? -1, limit).map(toDead));
  }

  requeueDead(queue: string, id: string): Promise<StoredItem | null> {
    return this.storage.write(() => {
      const row = this.sql.byId.get(id);
      if (!row || row.queue !== queue || row.state !== DEAD) return null;
      const q = this.requireQueue(queue);
      assertRoom(queue, { maxItems: q.max_items, items: q.items }, 1);
      const seq = this.nextSeq++;
      this.sql.requeue.run(seq, row.seq);
      this.sql.addItems.run(1, queue);
      return toItem({ ...row, seq, state: WAITING, attempt: 0, expires_at: null, not_before: null });
    });
  }

  deleteDead(queue: string, id: string): Promise<boolean> {
    return this.storage.write(() => this.sql.deleteDead.run(id, queue).changes > 0);
  }

  async channelHeads(queue: string, keys: readonly string[], countUpTo: number): Promise<Map<string, HeadLoad>> {
    return this.storage.read(() => {
      const heads = new Map<string, HeadLoad>();
      for (const key of keys) {
        const head = this.channelHead(queue, key);
        if (!head) continue;
        const waiting = countUpTo > 0 ? this.sql.countWaitingUpTo.get({ queue, channel: key, cap: countUpTo })!.n : 0;
        heads.set(key, { head, waiting });
      }
      return heads;
    });
  }

  channelHead(queue: string, key: string): ChannelHead | null {
    const head = this.storage.read(() => this.sql.firstWaitingHead.get({ queue, channel: key }));
    return head ? { seq: head.seq, priority: head.priority, dueAt: head.not_before } : null;
  }

  async countScheduled(queue: string, now: number): Promise<number> {
    return this.storage.read(() => this.sql.countScheduled.get(queue, now)!.n);
  }

  async countDead(queue: string): Promise<number> {
    return this.storage.read(() => this.sql.countDead.get(queue)!.n);
  }

  async scheduledOf(queue: string, keys: readonly string[], now: number): Promise<Map<string, ScheduledCount>> {
    const wanted = new Set(keys);
    const rows = this.storage.read(() => this.sql.scheduledOf.all(queue, now));
    return new Map(rows.filter((r) => wanted.has(r.channel)).map((r) => [r.channel, { scheduled: r.n, nextDueAt: r.next }]));
  }

  async channelStates(queue: string, keys: readonly string[]): Promise<ChannelLoad[]> {
    return this.storage.read(() => this.withHeads(keys.flatMap((key) => {
      const { waiting, processing } = this.sql.channelState.get({ queue, channel: key })!;
      return waiting + processing > 0 ? [{ queue, channel: key, waiting, processing }] : [];
    })));
  }

  async loadChannels(queue?: string): Promise<ChannelLoad[]> {
    return this.storage.read(() => this.withHeads(queue === undefined ? this.sql.loadChannels.all() : this.sql.loadQueueChannels.all({ queue })));
  }

  /** Each channel's counts with its first waiting item, read by priority then place (one index probe each). */
  private withHeads(rows: readonly CountRow[]): ChannelLoad[] {
    return rows.map((row) => toChannel(row, row.waiting > 0 ? this.sql.firstWaitingHead.get({ queue: row.queue, channel: row.channel }) : undefined));
  }

  async loadLeases(due?: { dueBy: number; limit: number }): Promise<LeaseRecord[]> {
    const rows = this.storage.read(() => (due ? this.sql.dueLeases.all(due.dueBy, due.limit) : this.sql.loadLeases.all()));
    return rows.map((r) => ({ id: r.id, attempt: r.attempt, expiresAt: r.expires_at }));
  }

  async processingCounts(): Promise<Array<{ queue: string; key: string; processing: number }>> {
    return this.storage.read(() => this.sql.processingCounts.all()).map((r) => ({ queue: r.queue, key: r.channel, processing: r.processing }));
  }

  private requireQueue(name: string): QueueRow {
    const row = this.sql.queue.get(name);
    if (!row) throw new QueueNotFoundError(name);
    return row;
  }

  private claimNow(queue: string, key: string, now: number): StoredItem | null {
    const row = this.sql.firstWaiting.get({ queue, channel: key });
    if (!row || !isDue(row.not_before, now)) return null;
    const expiresAt = now + row.timeout_ms;
    this.sql.claim.run(expiresAt, row.seq);
    // The row is this call's own: it becomes the claimed item's without a copy.
    row.state = PROCESSING;
    row.attempt += 1;
    row.expires_at = expiresAt;
    return toItem(row);
  }

  /** The items of `ids` that exist, in the order of `ids` (an id given twice, twice): one statement for a batch. */
  private findAll(ids: readonly string[]): ItemAt[] {
    if (ids.length === 1) {
      const one = this.find(ids[0]);
      return one ? [one] : [];
    }
    const byId = new Map(this.sql.byIds.all(JSON.stringify(ids)).map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ item: toItem(row), state: row.state }] : [];
    });
  }

  private find(id: string): ItemAt | undefined {
    const row = this.sql.byId.get(id);
    return row && { item: toItem(row), state: row.state };
  }

  /** Reads the acked items and their channels' last waiting places, lets the domain judge each ack, writes the result. */
  private settleNow(queue: string, acks: readonly Ack[], now: number, mode: SettleMode): AckResult[] {
    const found = this.findAll(acks.map((ack) => ack.id));
    const last = failingChannels(found, acks).flatMap((key) => {
      const row = this.sql.lastWaiting.get(queue, key);
      return row ? [[key, row.seq] as const] : [];
    });
    const settlement = new Settlement(queue, found, new Map(last), mode);
    for (const ack of acks) settlement.judge({ ...ack, now });
    return settlement.answers(writeSettlement(this.sql, queue, settlement, DEAD_REASON[mode], now, () => this.nextSeq++));
  }
}
