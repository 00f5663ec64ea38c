import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Tags } from '../common/tags';
import { CapacityEvents } from './capacity-events';
import { LIMITER_STORE, type LimiterStore } from './limiter.store';
import { RuleCache } from './rule-cache';

/**
 * Follows the other instances sharing the store (PostgreSQL), so this one behaves as part of one service: their
 * definition changes reload the rule cache at once (correctness does not depend on it: a counter write planned
 * with old rules is refused as stale and planned again) and then free capacity for every waiter; their counters
 * that went down are published on this instance's `capacityFreed$`, which the queue resumes blocked channels on.
 * After missed notifications everything is reloaded and re-checked. On a store no one else shares, does nothing.
 */
@Injectable()
export class PeerSync implements OnModuleInit {
  constructor(
    @Inject(LIMITER_STORE) private readonly store: LimiterStore,
    private readonly cache: RuleCache,
    private readonly events: CapacityEvents,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.shared?.watch({
      freed: (tags: Tags | null) => this.events.emit(tags),
      rulesChanged: (version: number) => this.reload(version),
      resync: () => this.reload(null),
    });
  }

  private reload(version: number | null): void {
    // A failed reload (store unreachable) leaves the cache to reload on its next use; waiters still re-check.
    void this.cache
      .refresh(version)
      .catch(() => undefined)
      .then(() => this.events.emit(null));
  }
}
