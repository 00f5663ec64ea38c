import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { Clock } from '../common/clock';
import { CLOCK } from '../platform/clock.token';
import { NO_OBSERVER, OBSERVER, type Observer, type QueueGauge } from '../platform/observability/observer.port';
import { Dispatcher } from './dispatch/dispatcher';
import { IndexSync } from './dispatch/index-sync';
import { WILLOW_STORE, type WillowStore } from './willow.store';

/** Queues read per store call of a scrape. */
const PAGE = 1_000;

/**
 * The queue gauges of `/metrics`, read at scrape time: counts and blocked channels from the dispatch index (kept in
 * memory anyway), scheduled and dead letters counted on the store's indexes of due times and dead letters.
 */
@Injectable()
export class QueueGauges implements OnModuleInit {
  constructor(
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly dispatcher: Dispatcher,
    private readonly sync: IndexSync,
    @Optional() @Inject(OBSERVER) private readonly observer: Observer = NO_OBSERVER,
  ) {}

  onModuleInit(): void {
    this.observer.gauges({ queues: () => this.read() });
  }

  async read(): Promise<QueueGauge[]> {
    const gauges: QueueGauge[] = [];
    const now = this.clock.now();
    for (let after: string | null = null; ; ) {
      const queues = await this.store.listQueues(after, PAGE);
      for (const { name } of queues) {
        // A shared store: the changes this instance only noted (a queue it does not serve) are read first.
        const [scheduled, dead] = await Promise.all([this.store.countScheduled(name, now), this.store.countDead(name), this.sync.countsDone(name)]);
        const index = this.dispatcher.peekIndex(name);
        gauges.push({
          queue: name,
          waiting: Math.max(0, (index?.waiting ?? 0) - scheduled),
          scheduled,
          processing: index?.processing ?? 0,
          dead,
          channels: index?.channelCount ?? 0,
          blocked: index?.blockedCount ?? 0,
        });
      }
      if (queues.length < PAGE) return gauges;
      after = queues[queues.length - 1].name;
    }
  }
}
