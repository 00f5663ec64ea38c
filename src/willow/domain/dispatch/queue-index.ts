import { matches, type Query } from '../../../common/query';
import { limitGroup } from '../../../common/capacity';
import { canonicalTags, type Tags } from '../../../common/tags';
import { IndexedHeap } from '../indexed-heap';
import { ViewBudget, type BudgetedView, type ViewOwner } from './view-budget';
import { Channel, SYSTEM_TIMING, View, joinedView, leftView, type BlockedBy, type HeadChange, type IndexTiming } from './channel';

export { Channel, servedBefore, type BlockedBy, type HeadChange, type IndexTiming } from './channel';

/**
 * In-memory dispatch index of one queue. A dequeue with a query finds the matching ready channel to serve first
 * (`servedBefore`: priority, then fewer claims in flight, then the head that has waited longest) in O(log channels):
 * each distinct query gets a view (a heap of the channels it matches), built once and then kept up to date as
 * channels change, so the cost does not grow with the number of channels.
 */
export class QueueIndex implements ViewOwner<View> {
  private readonly channels = new Map<string, Channel>();
  private readonly views = new Map<string, View>();
  /** Blocked channels by the canonical key values of the limit that refused them. */
  private readonly blocked = new Map<string, Set<Channel>>();
  /** Distinct key sets among blocking limits, with how many blocked channels use each. */
  private readonly blockedKeySets = new Map<string, { keys: readonly string[]; uses: number }>();
  /** Channels whose first item is not yet due, by its due time: what the due timer releases (never a scan). */
  private readonly scheduled = new IndexedHeap<Channel>((a, b) => a.headDueAt! < b.headDueAt!);
  waiting = 0;
  processing = 0;
  viewCount = 0;
  viewBytes = 0;
  /** A paused queue hands out nothing: no channel is best, whatever is ready (DESIGN §7.8). */
  paused = false;
  /** Set once the queue is gone; a dequeue still holding this index no longer charges the shared budget. */
  private disposed = false;

  /** `budget` bounds the views of this index together with those of every index sharing it; `timing` gives the time
   * and hears of channels waiting for their first item to become due. */
  constructor(
    private readonly budget: ViewBudget<BudgetedView> = new ViewBudget(),
    private readonly timing: IndexTiming = SYSTEM_TIMING,
  ) {}

  get channelCount(): number {
    return this.channels.size;
  }

  /** Channels blocked by a limit: summed over the few distinct key sets of blocking limits. */
  get blockedCount(): number {
    let blocked = 0;
    for (const { uses } of this.blockedKeySets.values()) blocked += uses;
    return blocked;
  }

  get(key: string): Channel | undefined {
    return this.channels.get(key);
  }

  /** The channel of `tags`, created (and matched against every view) on first use. */
  channel(key: string, tags: Tags): Channel {
    let channel = this.channels.get(key);
    if (channel) return channel;
    channel = new Channel(key, tags);
    this.channels.set(key, channel);
    for (const view of this.views.values()) if (matches(view.query, tags)) this.join(view, channel);
    return channel;
  }

  /** Applies count changes and a new head position, then files the channel where it now belongs. */
  apply(channel: Channel, change: { waiting?: number; processing?: number } & Partial<HeadChange>): void {
    channel.waiting += change.waiting ?? 0;
    channel.processing += change.processing ?? 0;
    this.waiting += change.waiting ?? 0;
    this.processing += change.processing ?? 0;
    if (change.headSeq !== undefined) {
      channel.headSeq = change.headSeq;
      channel.headPriority = change.headSeq === null ? 0 : (change.headPriority ?? 0);
      channel.headDueAt = change.headSeq === null ? null : (change.headDueAt ?? null);
    }
    this.refile(channel);
  }

  /** The earliest due time among channels whose first item is not yet due; null when there is none. */
  nextDueAt(): number | null {
    return this.scheduled.peek()?.headDueAt ?? null;
  }

  /** Channels whose first item became due by `now` turn ready; returns them so waiters can be woken. */
  releaseDue(now: number): Channel[] {
    const released: Channel[] = [];
    for (let c = this.scheduled.peek(); c && c.headDueAt! <= now; c = this.scheduled.peek()) {
      this.scheduled.remove(c);
      released.push(c);
      this.refile(c);
    }
    return released;
  }

  /** Channels waiting for their first item to become due. */
  get scheduledChannels(): number {
    return this.scheduled.size;
  }

  reserve(channel: Channel): void {
    channel.reserved++;
    this.refile(channel);
  }

  unreserve(channel: Channel): void {
    channel.reserved = Math.max(0, channel.reserved - 1);
    this.refile(channel);
  }

  block(channel: Channel, by: BlockedBy): void {
    this.unblock(channel);
    channel.blockedBy = by;
    const keys = Object.keys(by.keyValues).sort();
    const setKey = JSON.stringify(keys);
    const keySet = this.blockedKeySets.get(setKey) ?? { keys, uses: 0 };
    keySet.uses++;
    this.blockedKeySets.set(setKey, keySet);
    const valuesKey = canonicalTags(by.keyValues);
    let set = this.blocked.get(valuesKey);
    if (!set) this.blocked.set(valuesKey, (set = new Set()));
    set.add(channel);
    this.refile(channel);
  }

  /**
   * Unblocks the channels whose blocking limit may have room again after the counter of `freed` went down (`null`:
   * limits changed, unblock all). Returns them so waiters can be woken.
   */
  release(freed: Tags | null): Channel[] {
    const released: Channel[] = [];
    const candidates = freed === null ? [...this.blocked.values()] : this.blockedSetsHeldBy(freed);
    for (const set of candidates) for (const channel of [...set]) released.push(channel);
    for (const channel of released) this.unblock(channel);
    return released;
  }

  /** The matching ready channel to serve first (`servedBefore`), or null (always null while the queue is paused). */
  best(queryKey: string, query: Query): Channel | null {
    if (this.paused) return null;
    return this.view(queryKey, query).heap.peek() ?? null;
  }

  /** Every channel, ordered by canonical tag encoding. */
  sorted(): Channel[] {
    return [...this.channels.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Forgets a channel outright (channel or queue deleted). A reserved channel stays the channel of its key until the
   * dequeue holding it unreserves it, so items enqueued meanwhile land on the object that dequeue will update.
   */
  drop(channel: Channel): void {
    this.unblock(channel);
    this.waiting -= channel.waiting;
    this.processing -= channel.processing;
    channel.waiting = 0;
    channel.processing = 0;
    channel.headSeq = null;
    this.refile(channel);
  }

  /** The blocked channels whose blocking limit the counter of `freed` counts toward (see `limitGroup`). */
  private blockedSetsHeldBy(freed: Tags): Set<Channel>[] {
    const sets: Set<Channel>[] = [];
    for (const { keys } of this.blockedKeySets.values()) {
      const group = limitGroup(freed, keys);
      const set = group && this.blocked.get(canonicalTags(group));
      if (set) sets.push(set);
    }
    return sets;
  }

  private unblock(channel: Channel): void {
    const by = channel.blockedBy;
    if (!by) return;
    channel.blockedBy = null;
    const valuesKey = canonicalTags(by.keyValues);
    const set = this.blocked.get(valuesKey);
    set?.delete(channel);
    if (set?.size === 0) this.blocked.delete(valuesKey);
    const setKey = JSON.stringify(Object.keys(by.keyValues).sort());
    const keySet = this.blockedKeySets.get(setKey);
    if (keySet && --keySet.uses === 0) this.blockedKeySets.delete(setKey);
    this.refile(channel);
  }

  private refile(channel: Channel): void {
    if (channel.empty && channel.blockedBy === null) {
      for (const view of channel.views) this.leave(view, channel);
      this.scheduled.remove(channel);
      this.channels.delete(channel.key);
      return;
    }
    this.refileDue(channel);
    for (const view of channel.views) {
      if (channel.ready) view.heap.upsert(channel);
      else view.heap.remove(channel);
    }
  }

  /** Files the channel among those waiting for their first item to become due, or takes it out. */
  private refileDue(channel: Channel): void {
    const dueAt = channel.headSeq === null ? null : channel.headDueAt;
    channel.due = dueAt === null || dueAt <= this.timing.now();
    if (channel.due) {
      this.scheduled.remove(channel);
      return;
    }
    this.scheduled.upsert(channel);
    this.timing.scheduled(dueAt!);
  }

  private view(queryKey: string, query: Query): View {
    let view = this.views.get(queryKey);
    if (!view) {
      view = new View(queryKey, query);
      this.views.set(queryKey, view);
      for (const channel of this.channels.values()) if (matches(query, channel.tags)) this.join(view, channel);
    }
    if (!this.disposed) this.budget.use(view, this as ViewOwner<BudgetedView>);
    return view;
  }

  /** Called by the budget: drops a view, which its query's next dequeue rebuilds. */
  evict(view: View): void {
    if (this.views.get(view.key) !== view) return;
    this.views.delete(view.key);
    // Every member of a view is in `channels`: a channel leaves its views before it is forgotten (see `refile`).
    for (const channel of this.channels.values()) if (channel.views.includes(view)) this.leave(view, channel);
  }

  /** Releases this index's share of the budget (its queue is gone). */
  dispose(): void {
    this.disposed = true;
    this.budget.forgetOwner(this as ViewOwner<BudgetedView>);
    this.views.clear();
  }

  private join(view: View, channel: Channel): void {
    channel.views = joinedView(channel.views, view);
    if (channel.ready) view.heap.upsert(channel);
  }

  private leave(view: View, channel: Channel): void {
    view.heap.remove(channel);
    channel.views = leftView(channel.views, view);
  }
}
