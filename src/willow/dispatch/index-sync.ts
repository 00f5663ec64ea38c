import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Scheduler } from '../../common/scheduler';
import type { Tags } from '../../common/tags';
import { CONFIG, type Config } from '../../config';
import { SCHEDULER } from '../../platform/scheduler.token';
import { WILLOW_STORE, type WillowStore } from '../willow.store';
import type { ChannelDelta } from './channel-delta';
import { Dispatcher } from './dispatcher';
import { IndexLoader } from './index-loader';
import { LocalIndexSync } from './local-index-sync';
import { SharedIndexSync } from './shared-index-sync';

export type { ChannelDelta } from './channel-delta';

/**
 * Keeps the dispatch index equal to the store, with the strategy the store calls for: `LocalIndexSync` when this
 * process is the store's only writer (embedded: the store offers a synchronous `channelHead`), `SharedIndexSync`
 * when other instances write too (PostgreSQL). Both load the index at start through `IndexLoader`.
 */
@Injectable()
export class IndexSync implements OnApplicationShutdown {
  private readonly loader: IndexLoader;
  private readonly local: LocalIndexSync | null;
  private readonly sharedSync: SharedIndexSync | null;

  constructor(
    @Inject(WILLOW_STORE) store: WillowStore,
    dispatcher: Dispatcher,
    @Inject(SCHEDULER) scheduler: Scheduler,
    @Inject(CONFIG) config: Pick<Config, 'timing'>,
  ) {
    this.loader = new IndexLoader(store, dispatcher);
    const channelHead = store.channelHead?.bind(store);
    this.local = channelHead ? new LocalIndexSync(channelHead, dispatcher) : null;
    this.sharedSync = channelHead ? null : new SharedIndexSync(store, dispatcher, this.loader, scheduler, config.timing.catchUpMs);
  }

  /** True when other instances write to the same store. */
  get shared(): boolean {
    return this.sharedSync !== null;
  }

  /** Channels whose read order is remembered (for tests and diagnostics). */
  get trackedChannels(): number {
    return this.loader.trackedChannels;
  }

  /** Channels whose change a shared store has noted but not read yet (for tests and diagnostics). */
  get notedChannels(): number {
    return this.sharedSync?.notedChannels ?? 0;
  }

  /** Starts hearing other instances' changes (shared store); resolves once listening. */
  async start(): Promise<void> {
    await this.sharedSync?.start();
  }

  onApplicationShutdown(): void {
    this.sharedSync?.stop();
  }

  /** A write of this process committed a change to the channel `key` of `queue`. `create`: make the queue's index
   * if it has none (an enqueue), rather than ignoring the change (the queue was deleted meanwhile). */
  changed(queue: string, key: string, tags: Tags, delta: ChannelDelta, create = false): void {
    if (this.local) this.local.changed(queue, key, tags, delta, create);
    else this.sharedSync?.changed(queue, key, tags, delta, create);
  }

  /** A dequeue of `queue` starts here: a shared store reads at once what it had only noted of the queue's changes. */
  follow(queue: string): void {
    this.sharedSync?.follow(queue);
  }

  /**
   * Shared store: waits until the heads of the channels of `queue` changed before the call (by this instance's writes,
   * or heard of) have been read into the index; true when it had to wait. One writer: never waits (the index never
   * lags).
   */
  readsDone(queue: string): Promise<boolean> {
    return this.sharedSync?.readsDone(queue) ?? Promise.resolve(false);
  }

  /**
   * `readsDone`, with the counts of those channels read as well (a shared store reads a changed channel's counts
   * paced, its head at once): what a listing or the queue's counts wait for.
   */
  countsDone(queue: string): Promise<boolean> {
    return this.sharedSync?.countsDone(queue) ?? Promise.resolve(false);
  }

  /** This instance paused or resumed `queue`: applied now, and not undone by a reload that read the flag before. */
  setPaused(queue: string, paused: boolean): void {
    this.loader.setPaused(queue, paused);
  }

  /** Start-up and resync: every channel (or those of `queue`) as the store holds them now. */
  reload(queue?: string): Promise<void> {
    return this.loader.reload(queue);
  }
}
