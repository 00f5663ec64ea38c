import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Clock } from '../common/clock';
import { isWellFormedId } from '../common/ids';
import { parseName, parseSafeInt } from '../common/names';
import { placeCursor, type Page, type PageRequest } from '../common/page';
import { matches, type Query } from '../common/query';
import { canonicalTags, parseTags, type Tags } from '../common/tags';
import { CLOCK } from '../platform/clock.token';
import { CounterReconciler } from './leases/counter-reconciler';
import { Dispatcher } from './dispatch/dispatcher';
import { knownQueueName, MAX_ITEMS_MAX, parseUpdateQueue } from './domain/validate';
import { DeadLetterNotFoundError, QueueDeletedError, QueueNotFoundError } from './domain/willow.errors';
import { IndexSync } from './dispatch/index-sync';
import type { Channel } from './domain/dispatch/queue-index';
import type { ChannelInfo, DeadLetter, QueueAdminPort, QueueInfo, QueueUpdate } from './willow.port';
import { WillowEvents } from './willow-events';
import { WILLOW_STORE, type QueueRecord, type StoredItem, type WillowStore } from './willow.store';

@Injectable()
export class QueueAdminService implements QueueAdminPort {
  constructor(
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly dispatcher: Dispatcher,
    private readonly counters: CounterReconciler,
    private readonly sync: IndexSync,
    @Optional() private readonly events: WillowEvents = new WillowEvents(),
  ) {}

  async createQueue(cmd: { name: string; maxItems: number }): Promise<QueueInfo> {
    checkQueue(cmd);
    return this.info(await this.store.createQueue(cmd.name, cmd.maxItems, this.clock.now()));
  }

  async getQueue(name: string): Promise<QueueInfo> {
    return this.info(await this.requireQueue(name));
  }

  async listQueues(page: PageRequest): Promise<Page<QueueInfo>> {
    const rows = await this.store.listQueues(page.cursor, page.limit + 1);
    const items = await Promise.all(rows.slice(0, page.limit).map((q) => this.info(q)));
    return { items, nextCursor: rows.length > page.limit ? items[items.length - 1].name : null };
  }

  async updateQueue(cmd: QueueUpdate): Promise<QueueInfo> {
    knownQueueName(cmd.name);
    const change = parseUpdateQueue({ MaxItems: cmd.maxItems, Paused: cmd.paused }, '');
    const wasPaused = this.dispatcher.peekIndex(cmd.name)?.paused ?? false;
    const queue = await this.store.updateQueue(cmd.name, change);
    if (change.paused !== undefined) {
      this.sync.setPaused(cmd.name, change.paused);
      // Told when it changes as far as this instance knows (a repeated pause is no event).
      if (change.paused !== wasPaused) this.events.paused(cmd.name, change.paused);
    }
    return this.info(queue);
  }

  async deleteQueue(name: string): Promise<void> {
    // The delete and its counters in one hold of the counter guard (a shared store's recount sees neither or both).
    await this.counters.guarded(async () => {
      const processing = await this.store.deleteQueue(knownQueueName(name));
      this.dispatcher.failWaiters(name, new QueueDeletedError(name));
      this.dispatcher.forget(name);
      await this.freeCounters(processing);
    });
  }

  async listChannels(queue: string, query: Query, page: PageRequest): Promise<Page<ChannelInfo>> {
    await this.requireQueue(queue);
    await this.sync.countsDone(queue); // a shared store: what this instance wrote before the call is listed
    const channels = this.dispatcher.peekIndex(queue)?.sorted() ?? [];
    const picked: Channel[] = [];
    let nextCursor: string | null = null;
    for (const channel of channels) {
      if (page.cursor !== null && channel.key <= page.cursor) continue;
      if (!matches(query, channel.tags)) continue;
      if (picked.length === page.limit) {
        nextCursor = picked[picked.length - 1].key;
        break;
      }
      picked.push(channel);
    }
    const now = this.clock.now();
    const scheduled = await this.store.scheduledOf(queue, picked.map((c) => c.key), now);
    const items = picked.map((channel): ChannelInfo => {
      const { blockedBy } = channel;
      const due = scheduled.get(channel.key);
      return {
        tags: channel.tags,
        waiting: channel.waiting,
        processing: channel.processing,
        scheduled: due?.scheduled ?? 0,
        nextDueAt: due ? new Date(due.nextDueAt).toISOString() : null,
        blockedBy: blockedBy && { rule: blockedBy.rule, override: blockedBy.override, limit: blockedBy.limit, count: blockedBy.count },
      };
    });
    return { items, nextCursor };
  }

  async deleteChannel(queue: string, tags: Tags): Promise<void> {
    const key = canonicalTags(parseTags(tags, 'KeyValues'));
    await this.counters.guarded(async () => {
      const processing = await this.store.deleteChannel(knownQueueName(queue), key);
      const index = this.dispatcher.peekIndex(queue);
      const channel = index?.get(key);
      if (index && channel) index.drop(channel);
      // A shared store: a read of the channel in flight may make it again; one started now drops it again after.
      if (this.sync.shared) this.sync.changed(queue, key, channel?.tags ?? {}, { head: 'reread' });
      await this.freeCounters(processing);
    });
  }

  async listDeadLetters(queue: string, page: PageRequest): Promise<Page<DeadLetter>> {
    await this.requireQueue(queue);
    const after = page.cursor === null ? null : placeCursor(page.cursor);
    const rows = await this.store.listDead(queue, after, page.limit + 1);
    const items = rows.slice(0, page.limit).map((row) => ({
      id: row.id,
      tags: row.tags,
      data: JSON.parse(row.data) as unknown,
      attempts: row.attempt,
      reason: row.reason,
      deadAt: new Date(row.deadAt).toISOString(),
      lastError: row.lastError,
    }));
    return { items, nextCursor: rows.length > page.limit ? String(rows[page.limit - 1].seq) : null };
  }

  async requeueDeadLetter(queue: string, id: string): Promise<{ id: string }> {
    await this.requireQueue(queue);
    const item = isWellFormedId(id) ? await this.store.requeueDead(queue, id) : null;
    if (!item) throw new DeadLetterNotFoundError(queue, id);
    this.sync.changed(queue, item.key, item.tags, { waiting: 1, head: 'reread' }, true);
    return { id: item.id };
  }

  async deleteDeadLetter(queue: string, id: string): Promise<void> {
    await this.requireQueue(queue);
    if (!isWellFormedId(id) || !(await this.store.deleteDead(queue, id))) throw new DeadLetterNotFoundError(queue, id);
  }

  private async requireQueue(name: string): Promise<QueueRecord> {
    const queue = await this.store.getQueue(knownQueueName(name));
    if (!queue) throw new QueueNotFoundError(name);
    return queue;
  }

  /** A queue's answer: counts from the index, `scheduled` (waiting items not yet due) from the store's due index. */
  private async info(queue: QueueRecord): Promise<QueueInfo> {
    await this.sync.countsDone(queue.name); // a shared store: what this instance wrote before the call is counted
    const index = this.dispatcher.peekIndex(queue.name);
    const scheduled = await this.store.countScheduled(queue.name, this.clock.now());
    return {
      name: queue.name,
      maxItems: queue.maxItems,
      paused: queue.paused,
      scheduled,
      waiting: index?.waiting ?? 0,
      processing: index?.processing ?? 0,
      channels: index?.channelCount ?? 0,
    };
  }

  /** Inside the counter guard, with the index change that goes with it. */
  private async freeCounters(items: readonly StoredItem[]): Promise<void> {
    for (const item of items) await this.counters.decrement(item.tags, item.queue, `${item.id}:${item.attempt}`);
  }
}


function checkQueue(cmd: { name: string; maxItems: number }): void {
  parseName(cmd.name, 'Name');
  parseSafeInt(cmd.maxItems, 'MaxItems', { min: -1, max: MAX_ITEMS_MAX });
}
