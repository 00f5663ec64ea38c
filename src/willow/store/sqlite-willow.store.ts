import { AlreadyExistsError } from '../../common/errors';
import { newId } from '../../common/ids';
import { decodeTags } from '../../common/tags';
import type { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { decideEnqueue, decideFailure, leaseRanOut } from '../domain/retry-policy';
import { QueueFullError, QueueNotFoundError } from '../domain/willow.errors';
import type { NewItem } from '../willow.port';
import type { ChannelLoad, EnqueueOutcome, ItemCheck, LeaseRecord, QueueRecord, Settled, StoredItem, WillowStore } from '../willow.store';
import { DEAD, PROCESSING, WAITING, WILLOW_MIGRATIONS } from './sqlite-willow.schema';
import { prepareWillowStatements, type ItemRow, type QueueRow } from './sqlite-willow.statements';

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
      return { name, maxItems, items: 0 };
    });
  }

  updateQueue(name: string, maxItems: number): Promise<QueueRecord> {
    return this.storage.write(() => {
      const row = this.requireQueue(name);
      this.sql.setMaxItems.run(maxItems, name);
      return { ...toQueue(row), maxItems };
    });
  }

  deleteQueue(name: string): Promise<StoredItem[]> {
    return this.storage.write(() => {
      this.requireQueue(name);
      const processing = this.sql.processingOfQueue.all(name).map(toItem);
      this.sql.deleteItemsOfQueue.run(name);
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

  enqueue(queue: string, items: ReadonlyArray<{ key: string; item: NewItem; data: string }>): Promise<EnqueueOutcome[]> {
    return this.storage.write(() => {
      const q = this.requireQueue(queue);
      let count = q.items;
      const outcomes = items.map(({ key, item, data }) => {
        const last = this.sql.lastWaiting.get(queue, key);
        if (last && decideEnqueue({ updateable: last.updateable === 1 }) === 'collapse') {
          this.sql.collapse.run(data, flag(item.updateable), item.retryAttempts, flag(item.retryPosition === 'front'), item.timeoutMs, last.seq);
          return { id: last.id, collapsed: true, key };
        }
        const id = newId();
        this.sql.insertItem.run(this.nextSeq++, id, queue, key, WAITING, data, flag(item.updateable), item.retryAttempts,
          flag(item.retryPosition === 'front'), item.timeoutMs);
        count++;
        return { id, collapsed: false, key };
      });
      const added = count - q.items;
      // Only new items count: a batch of collapses fits even where a lowered MaxItems is already exceeded.
      if (added > 0 && q.max_items >= 0 && count > q.max_items) throw new QueueFullError(queue, q.max_items, q.items, added);
      if (added > 0) this.sql.addItems.run(added, queue);
      return outcomes;
    });
  }

  claimHead(queue: string, key: string, now: number): Promise<StoredItem | null> {
    return this.storage.write(() => {
      const row = this.sql.firstWaiting.get(queue, key);
      if (!row) return null;
      const expiresAt = now + row.timeout_ms;
      this.sql.claim.run(expiresAt, row.seq);
      return toItem({ ...row, state: PROCESSING, attempt: row.attempt + 1, expires_at: expiresAt });
    });
  }

  async check(queue: string, id: string, attempt: number | null): Promise<ItemCheck> {
    const row = this.storage.read(() => this.sql.byId.get(id));
    return checkRow(row, queue, attempt);
  }

  renew(queue: string, id: string, attempt: number | null, now: number): Promise<ItemCheck> {
    return this.storage.write(() => {
      const check = liveDelivery(checkRow(this.sql.byId.get(id), queue, attempt), now);
      if (check.kind !== 'ok') return check;
      const expiresAt = now + check.item.timeoutMs;
      this.sql.renew.run(expiresAt, check.item.seq);
      return { kind: 'ok', item: { ...check.item, expiresAt } };
    });
  }

  settle(queue: string, acks: ReadonlyArray<{ id: string; passed: boolean; attempt: number | null }>, now: number) {
    return this.storage.write(() =>
      acks.map((ack): Settled | Exclude<ItemCheck, { kind: 'ok' }> => {
        const check = liveDelivery(checkRow(this.sql.byId.get(ack.id), queue, ack.attempt), now);
        if (check.kind !== 'ok') return check;
        return ack.passed ? this.remove(check.item, 'acked') : this.fail(check.item, 'failed', now);
      }),
    );
  }

  giveBack(queue: string, id: string, attempt: number): Promise<Settled | null> {
    return this.storage.write(() => {
      const check = checkRow(this.sql.byId.get(id), queue, attempt);
      if (check.kind !== 'ok') return null;
      this.sql.giveBack.run(check.item.seq);
      return { item: check.item, outcome: 'given_back' as const };
    });
  }

  expireLease(id: string, attempt: number, now: number): Promise<Settled | null> {
    return this.storage.write(() => {
      const row = this.sql.byId.get(id);
      if (!row || row.state !== PROCESSING || row.attempt !== attempt || (row.expires_at ?? 0) > now) return null;
      return this.fail(toItem(row), 'lease expired', now);
    });
  }

  deleteChannel(queue: string, key: string): Promise<StoredItem[]> {
    return this.storage.write(() => {
      this.requireQueue(queue);
      const processing = this.sql.processingOfChannel.all(queue, key).map(toItem);
      const removed = this.sql.deleteChannelItems.run(queue, key).changes;
      if (removed > 0) this.sql.addItems.run(-removed, queue);
      return processing;
    });
  }

  async listDead(queue: string, afterSeq: number | null, limit: number) {
    return this.storage.read(() =>
      this.sql.listDead.all(queue, afterSeq ?? -1, limit).map((row) => ({
        ...toItem(row),
        reason: row.dead_reason ?? 'failed',
        deadAt: row.dead_at ?? 0,
      })),
    );
  }

  requeueDead(queue: string, id: string): Promise<StoredItem | null> {
    return this.storage.write(() => {
      const row = this.sql.byId.get(id);
      if (!row || row.queue !== queue || row.state !== DEAD) return null;
      const q = this.requireQueue(queue);
      if (q.max_items >= 0 && q.items + 1 > q.max_items) throw new QueueFullError(queue, q.max_items, q.items, 1);
      const seq = this.nextSeq++;
      this.sql.requeue.run(seq, row.seq);
      this.sql.addItems.run(1, queue);
      return toItem({ ...row, seq, state: WAITING, attempt: 0, expires_at: null });
    });
  }

  deleteDead(queue: string, id: string): Promise<boolean> {
    return this.storage.write(() => this.sql.deleteDead.run(id, queue).changes > 0);
  }

  channelHead(queue: string, key: string): number | null {
    return this.storage.read(() => this.sql.firstWaitingSeq.get(queue, key)?.seq ?? null);
  }

  async channelStates(queue: string, keys: readonly string[]): Promise<ChannelLoad[]> {
    const rows = this.storage.read(() => keys.map((key) => this.sql.channelState.get(queue, key)));
    return rows.filter((row) => row !== undefined).map(toChannel);
  }

  async loadChannels(queue?: string): Promise<ChannelLoad[]> {
    const rows = this.storage.read(() => (queue === undefined ? this.sql.loadChannels.all() : this.sql.loadQueueChannels.all(queue)));
    return rows.map(toChannel);
  }

  async loadLeases(due?: { dueBy: number; limit: number }): Promise<LeaseRecord[]> {
    const rows = this.storage.read(() => (due ? this.sql.dueLeases.all(due.dueBy, due.limit) : this.sql.loadLeases.all()));
    return rows.map((r) => ({ id: r.id, attempt: r.attempt, expiresAt: r.expires_at }));
  }

  private requireQueue(name: string): QueueRow {
    const row = this.sql.queue.get(name);
    if (!row) throw new QueueNotFoundError(name);
    return row;
  }

  private remove(item: StoredItem, outcome: 'acked' | 'drop'): Settled {
    this.sql.deleteItem.run(item.seq);
    this.sql.addItems.run(-1, item.queue);
    return { item, outcome };
  }

  /** A failed delivery: dead letter, drop, or back in line, as the retry policy decides. */
  private fail(item: StoredItem, reason: string, now: number): Settled {
    // Only an item behind this one is newer: an older one may wait again (front retry) while this one runs.
    const last = this.sql.lastWaiting.get(item.queue, item.key);
    const newerWaiting = last !== undefined && last.seq > item.seq;
    const outcome = decideFailure({ ...item, newerWaiting });
    switch (outcome) {
      case 'dead':
        this.sql.toDead.run(reason, now, item.seq);
        this.sql.addItems.run(-1, item.queue);
        return { item, outcome };
      case 'drop':
        return this.remove(item, 'drop');
      case 'front':
        this.sql.toWaiting.run(item.seq, item.seq);
        return { item, outcome };
      case 'back': {
        const seq = this.nextSeq++;
        this.sql.toWaiting.run(seq, item.seq);
        return { item: { ...item, seq }, outcome };
      }
    }
  }
}

function checkRow(row: ItemRow | undefined, queue: string, attempt: number | null): ItemCheck {
  if (!row || row.queue !== queue) return { kind: 'not_found' };
  if (row.state === PROCESSING && (attempt === null || attempt === row.attempt)) return { kind: 'ok', item: toItem(row) };
  if (attempt === null) return { kind: 'not_found' };
  return { kind: 'lease_lost', current: row.state === PROCESSING ? row.attempt : null };
}

/** A delivery whose lease ran out by `now` is lost, even before the sweep settles it. */
function liveDelivery(check: ItemCheck, now: number): ItemCheck {
  return check.kind === 'ok' && leaseRanOut(check.item, now) ? { kind: 'lease_lost', current: null } : check;
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}

function toChannel(r: { queue: string; channel: string; waiting: number; processing: number; head: number | null }): ChannelLoad {
  return { queue: r.queue, key: r.channel, waiting: r.waiting, processing: r.processing, headSeq: r.head };
}

function toQueue(row: QueueRow): QueueRecord {
  return { name: row.name, maxItems: row.max_items, items: row.items };
}

function toItem(row: ItemRow): StoredItem {
  return {
    seq: row.seq,
    id: row.id,
    queue: row.queue,
    key: row.channel,
    tags: decodeTags(row.channel),
    data: row.data,
    updateable: row.updateable === 1,
    retryAttempts: row.retry_attempts,
    retryPosition: row.retry_front === 1 ? 'front' : 'back',
    timeoutMs: row.timeout_ms,
    attempt: row.attempt,
    expiresAt: row.expires_at,
  };
}
