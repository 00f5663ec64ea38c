import { systemClock, type Clock } from '../../src/common/clock';
import { CapacityEvents } from '../../src/limiter/capacity-events';
import { LimiterAdminService } from '../../src/limiter/limiter-admin.service';
import { LimiterService } from '../../src/limiter/limiter.service';
import type { LimiterStore } from '../../src/limiter/limiter.store';
import { RuleCache } from '../../src/limiter/rule-cache';

export interface LimiterUnderTest {
  readonly port: LimiterService;
  readonly admin: LimiterAdminService;
}

/** The Limiter's services wired by hand on `store`, its rule cache loaded from the tables as on start (unless
 * `init: false`, as for a caller that runs before the module's `onModuleInit`), on the system clock unless given one. */
export async function openLimiter(store: LimiterStore, opts: { init?: boolean; clock?: Clock } = {}): Promise<LimiterUnderTest> {
  const cache = new RuleCache(store);
  if (opts.init !== false) await cache.onModuleInit();
  const events = new CapacityEvents();
  return { port: new LimiterService(store, cache, events, opts.clock ?? systemClock), admin: new LimiterAdminService(store, cache, events) };
}

/** The stable code of a rejection, or 'OK'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    return (error as { code?: string }).code ?? `THROWN ${String(error)}`;
  }
}
