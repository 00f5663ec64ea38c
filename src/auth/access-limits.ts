import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '../common/clock';
import { CONFIG, type Config } from '../config';
import { CLOCK } from '../platform/clock.token';
import { RateLimitedError } from './domain/auth.errors';
import { TokenBuckets, WaiterCounts } from './domain/token-bucket';

/**
 * The abuse limits of DESIGN.md §10, per identity (`key:<Name>`, or `addr:<address>` for a client without a key):
 * requests per second (`WILLOW_RATE_LIMIT`) and concurrent long-polls plus lock waits (`WILLOW_MAX_WAITERS`).
 * Clients on loopback without a key (protected mode) are not limited: they are this machine's own tools and tests.
 */
@Injectable()
export class AccessLimits {
  private readonly buckets: TokenBuckets;
  private readonly waiters: WaiterCounts;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.buckets = new TokenBuckets(config.access.rateLimit);
    this.waiters = new WaiterCounts(config.access.maxWaiters);
  }

  /** Counts one request of `identity`; throws RATE_LIMITED (with the seconds to wait) past the rate. */
  request(identity: string): void {
    const retryAfter = this.buckets.take(identity, this.clock.now());
    if (retryAfter > 0) {
      throw new RateLimitedError(
        `More than ${this.config.access.rateLimit} requests per second from ${describe(identity)}; retry after ${retryAfter} s (WILLOW_RATE_LIMIT)`,
        retryAfter,
      );
    }
  }

  /** Counts one more waiter of `identity` until `done` is called; throws RATE_LIMITED when it has too many. */
  wait(identity: string): () => void {
    if (!this.waiters.enter(identity)) {
      throw new RateLimitedError(
        `${describe(identity)} already has ${this.config.access.maxWaiters} long-polls or lock waits open; end one first (WILLOW_MAX_WAITERS)`,
        1,
      );
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.waiters.leave(identity);
    };
  }
}

function describe(identity: string): string {
  return identity.startsWith('key:') ? `key "${identity.slice(4)}"` : `client ${identity.slice(5)}`;
}
