import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { Clock } from '../common/clock';
import { InvalidInputError, ShuttingDownError } from '../common/errors';
import { isName } from '../common/names';
import { canonicalTags } from '../common/tags';
import { CONFIG, type Config } from '../config';
import { LIMITER_PORT, type LimiterPort } from '../limiter';
import { CLOCK } from '../platform/clock.token';
import { ShutdownSignal } from '../platform/lifecycle/shutdown-signal';
import { Dispatcher } from './dispatch/dispatcher';
import { ItemNotFoundError, LeaseLostError, QueueNotFoundError } from './domain/willow.errors';
import { BATCH_MAX, checkItems, dataJson, dueSpecOf, knownQueueName, WAIT_BOUNDS } from './domain/validate';
import { dueAtOf, isDue } from './domain/schedule';
import { fieldPath } from '../common/names';
import type { ChannelDelta } from './dispatch/channel-delta';
import type { EnqueueOutcome } from './domain/item';
import { parseAckError, parseCount } from './domain/validate-consumer';
import { isWellFormedId } from '../common/ids';
import { parseDuration } from '../common/duration';
import { Gate } from './dispatch/gate';
import { IndexSync } from './dispatch/index-sync';
import { LeaseKeeper } from './leases/lease-keeper';
import { placeCursor, type Page } from '../common/page';
import { matches } from '../common/query';
import { PROCESSING, WAITING } from './domain/item';
import { parseItemState } from './domain/validate-items';
import type { AckCommand, AckOutcome, Delivery, DequeueCommand, EnqueueResult, ItemInfo, ListItemsCommand, NewItem, WillowPort } from './willow.port';
import { WillowEvents } from './willow-events';
import { WILLOW_STORE, type ItemCheck, type ItemRecord, type Settled, type StoredItem, type WillowStore } from './willow.store';

@Injectable()
export class WillowService implements WillowPort, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WillowService.name);
  private subscription: Subscription | null = null;

  constructor(
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    @Inject(LIMITER_PORT) private readonly limiter: LimiterPort,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    private readonly dispatcher: Dispatcher,
    private readonly gate: Gate,
    private readonly leases: LeaseKeeper,
    private readonly sync: IndexSync,
    private readonly shutdown: ShutdownSignal,
    @Optional() private readonly events: WillowEvents = new WillowEvents(),
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = this.limiter.capacityFreed$.subscribe((event) => this.dispatcher.capacityFreed(event.tags));
    await this.sync.start();
    await this.leases.recover();
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  async enqueue(queue: string, items: readonly NewItem[]): Promise<EnqueueResult[]> {
    const checked = checkItems(items);
    const at = this.clock.now();
    const keyed = checked.map((item, i) => {
      const path = checked.length > 1 ? `Items[${i}]` : '';
      const data = dataJson(item.data, path, this.config.maxDataBytes);
      return { key: canonicalTags(item.tags), item, data, at, dueAt: dueAtOf(dueSpecOf(item), at, fieldPath(path, 'NotBefore')) };
    });
    const outcomes = await this.store.enqueue(knownQueueName(queue), keyed);
    const tagsByKey = new Map(keyed.map((k) => [k.key, k.item.tags]));
    for (const [key, delta] of channelDeltas(outcomes)) this.sync.changed(queue, key, tagsByKey.get(key)!, delta, true);
    this.events.enqueued(queue, outcomes, tagsByKey);
    return outcomes.map((o) => ({ id: o.id, collapsed: o.collapsed }));
  }

  async dequeue(cmd: DequeueCommand, signal?: AbortSignal): Promise<Delivery[]> {
    parseCount(cmd.count, 'Count');
    parseDuration(cmd.waitMs, 'Wait', WAIT_BOUNDS);
    if (this.shutdown.shuttingDown) throw new ShuttingDownError();
    await this.requireKnownQueue(cmd.queue);
    const deadline = this.clock.now() + cmd.waitMs;
    const queryKey = JSON.stringify(cmd.query);
    this.sync.follow(cmd.queue);
    for (let caughtUp = false; ; ) {
      const delivered = await this.gate.take(cmd.queue, queryKey, cmd.query, cmd.count);
      if (delivered.length > 0) return delivered;
      // Shared store: what this instance just wrote (or heard of) is read into the index just after; a dequeue that
      // found nothing lets those reads finish once and looks again, so it sees what was enqueued before it.
      if (!caughtUp && (caughtUp = true) && (await this.sync.readsDone(cmd.queue))) continue;
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return [];
      const outcome = await this.dispatcher.waitForWork(cmd.queue, cmd.query, remaining, signal);
      if (outcome !== 'woken') return [];
    }
  }

  async giveBack(queue: string, deliveries: readonly Delivery[]): Promise<void> {
    for (const delivery of deliveries) {
      await this.leases.settleOne(() => this.store.giveBack(queue, delivery.id, delivery.attempt));
    }
  }

  async heartbeat(cmd: { queue: string; id: string; attempt: number | null }): Promise<{ expiresAt: string }> {
    // An item of a queue that cannot exist, or an id never handed out, is simply not found.
    const known = isName(cmd.queue) && isWellFormedId(cmd.id);
    const check: ItemCheck = known ? await this.store.renew(cmd.queue, cmd.id, cmd.attempt, this.clock.now()) : { kind: 'not_found' };
    const item = unwrap(cmd.queue, cmd.id, cmd.attempt, check);
    this.leases.watch(item);
    return { expiresAt: new Date(item.expiresAt!).toISOString() };
  }

  async ack(queue: string, acks: readonly AckCommand[]): Promise<AckOutcome[]> {
    if (acks.length < 1 || acks.length > BATCH_MAX) {
      throw new InvalidInputError('Acks', `must hold 1 to ${BATCH_MAX} acks (got ${acks.length})`);
    }
    acks.forEach((a, i) => a.error != null && parseAckError(a.error, a.passed, acks.length > 1 ? `Acks[${i}].Error` : 'Error'));
    knownQueueName(queue); // a name no queue can have: QUEUE_NOT_FOUND before the store is asked
    // Every settled item's counter goes down together: one Limiter call, one commit.
    const results = await this.leases.settle(() => this.settle(queue, acks), (all) => all.filter((result): result is Settled => 'outcome' in result), {
      cause: 'ack',
    });
    // A queue's items go with it: an ack that found its item shows the queue exists, so the store is asked only when
    // none did (an ack of a queue that does not exist changes nothing before it is answered QUEUE_NOT_FOUND).
    if (results.every((result) => 'kind' in result && result.kind === 'not_found')) await this.requireQueue(queue);
    return results.map((result, i): AckOutcome => {
      const id = acks[i].id;
      if ('outcome' in result) return { id, ok: true };
      const error = toError(queue, id, acks[i].attempt, result);
      return { id, ok: false, code: error.code, message: error.message, details: error.details };
    });
  }

  async inspect(queue: string, id: string): Promise<ItemInfo> {
    await this.requireQueue(queue);
    const found = isWellFormedId(id) ? await this.store.inspect(queue, id) : null;
    if (!found) throw new ItemNotFoundError(queue, id, 'queued');
    return toInfo(found, JSON.parse(found.item.data) as unknown, this.clock.now());
  }

  /** Walks the queue's items by arrival and keeps those whose channel matches (`matches`, the one evaluator). */
  async listItems(cmd: ListItemsCommand): Promise<Page<ItemInfo>> {
    const state = parseItemState(cmd.state ?? undefined, 'State');
    await this.requireQueue(cmd.queue);
    const now = this.clock.now();
    const items: ItemInfo[] = [];
    const chunk = Math.min(cmd.page.limit + 1, LIST_CHUNK);
    let after = cmd.page.cursor === null ? null : placeCursor(cmd.page.cursor);
    for (;;) {
      const rows = await this.store.listItems(cmd.queue, state === null ? null : state === 'processing' ? PROCESSING : WAITING, after, chunk);
      for (const row of rows) {
        const info = toInfo(row, null, now);
        if (!matches(cmd.query, row.item.tags) || (state !== null && info.state !== state)) continue;
        if (items.length === cmd.page.limit) return { items, nextCursor: String(after) };
        items.push(info);
        after = row.item.seq;
      }
      if (rows.length < chunk) return { items, nextCursor: null };
      after = rows[rows.length - 1].item.seq;
    }
  }

  async cancel(queue: string, id: string): Promise<void> {
    await this.requireQueue(queue);
    if (!isWellFormedId(id)) throw new ItemNotFoundError(queue, id, 'queued');
    // A processing item leaves processing as a settlement does: index, then its running counter, exactly once.
    const cancelled = await this.leases.settle(
      () => this.store.cancel(queue, id, this.clock.now()),
      (c): Settled[] => (c?.was === PROCESSING ? [{ item: c.item, outcome: 'cancelled' }] : []),
    );
    if (!cancelled) throw new ItemNotFoundError(queue, id, 'queued');
    const { item } = cancelled;
    if (cancelled.was === PROCESSING) return;
    this.sync.changed(queue, item.key, item.tags, { waiting: -1, head: 'reread' });
    this.events.cancelled(item);
  }

  /** `requireQueue` for a dequeue: a queue this instance found to exist before is not asked for again (KnownQueues). */
  private async requireKnownQueue(queue: string): Promise<void> {
    const known = this.dispatcher.knownQueues;
    if (known.has(queue)) return;
    const mark = known.mark();
    await this.requireQueue(queue);
    known.confirm(queue, mark);
  }

  private async requireQueue(queue: string): Promise<void> {
    if (!(await this.store.hasQueue(knownQueueName(queue)))) throw new QueueNotFoundError(queue);
  }

  /** An id never handed out is judged `not_found` here; only the others reach the store. */
  private async settle(queue: string, acks: readonly AckCommand[]): Promise<Array<Settled | Exclude<ItemCheck, { kind: 'ok' }>>> {
    const known = acks.filter((a) => isWellFormedId(a.id));
    if (known.length === acks.length) return this.store.settle(queue, acks, this.clock.now());
    const settled = known.length > 0 ? await this.store.settle(queue, known, this.clock.now()) : [];
    let at = 0;
    return acks.map((a) => (isWellFormedId(a.id) ? settled[at++] : { kind: 'not_found' as const }));
  }
}

/**
 * What an enqueue did to each channel: appended items go behind a head of at least their priority, which then stays
 * first; a collapse that changed an item's priority may have reordered the line, so its head is read again.
 */
function channelDeltas(outcomes: readonly EnqueueOutcome[]): Map<string, ChannelDelta> {
  const deltas = new Map<string, { waiting: number; head: 'first' | 'reread'; priority: number }>();
  for (const o of outcomes) {
    if (o.collapsed && !o.reordered) continue;
    const delta = deltas.get(o.key) ?? { waiting: 0, head: 'first' as const, priority: -Infinity };
    if (o.collapsed) delta.head = 'reread';
    else {
      delta.waiting++;
      delta.priority = Math.max(delta.priority, o.priority ?? 0);
    }
    deltas.set(o.key, delta);
  }
  return deltas;
}

/** Items read per store call of an item listing. */
const LIST_CHUNK = 1_000;

function toError(queue: string, id: string, attempt: number | null, check: Exclude<ItemCheck, { kind: 'ok' }>) {
  return check.kind === 'lease_lost' ? new LeaseLostError(id, attempt, check.current, check.cancelled) : new ItemNotFoundError(queue, id);
}

/** An item as answered at `now`: a waiting item not yet due is `scheduled` (DESIGN §7.8). */
function toInfo(found: ItemRecord, data: unknown, now: number): ItemInfo {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const waiting = found.state !== PROCESSING;
  const scheduled = waiting && !isDue(found.item.notBefore, now);
  return {
    id: found.item.id,
    tags: found.item.tags,
    data,
    state: waiting ? (scheduled ? 'scheduled' : 'waiting') : 'processing',
    priority: found.item.priority,
    notBefore: scheduled ? iso(found.item.notBefore) : null,
    attempt: found.item.attempt,
    position: found.position,
    enqueuedAt: iso(found.enqueuedAt),
    expiresAt: found.state === PROCESSING ? iso(found.item.expiresAt) : null,
    lastError: found.item.lastError ?? null,
  };
}

function unwrap(queue: string, id: string, attempt: number | null, check: ItemCheck): StoredItem {
  if (check.kind === 'ok') return check.item;
  throw toError(queue, id, attempt, check);
}
