import type { OnApplicationShutdown } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Page, PageRequest } from '../../common/page';
import type { Query } from '../../common/query';
import type { Tags } from '../../common/tags';
import type { RpcCaller } from '../../platform/transport/rpc-caller';
import {
  LimiterPatterns,
  type CapacityFreed,
  type CounterChange,
  type CounterValue,
  type Explanation,
  type IncrementResult,
  type LimiterPort,
} from '../limiter.port';
import { CapacityFeed } from './capacity-feed';

/**
 * The LimiterPort served by another process (WILLOW_LIMITER_URL). Failures keep their code; an unreachable limiter
 * is DEPENDENCY_UNAVAILABLE. `capacityFreed$` is fed by a long-poll of the server's event log, and emits
 * `{tags: null}` whenever that feed (re)connects.
 */
export class LimiterRpcClient implements LimiterPort, OnApplicationShutdown {
  private readonly feed: CapacityFeed;
  readonly capacityFreed$: Observable<CapacityFreed>;

  constructor(
    private readonly rpc: RpcCaller,
    private readonly feedRpc: RpcCaller = rpc,
  ) {
    this.feed = new CapacityFeed(feedRpc);
    this.capacityFreed$ = this.feed.events$;
    this.feed.start();
  }

  tryIncrement(cmd: CounterChange): Promise<IncrementResult> {
    return this.rpc.call(LimiterPatterns.tryIncrement, { tags: cmd.tags, counters: cmd.counters });
  }

  decrement(cmd: CounterChange): Promise<CounterValue> {
    return this.rpc.call(LimiterPatterns.decrement, { tags: cmd.tags, counters: cmd.counters });
  }

  set(cmd: { readonly tags: Tags; readonly counters: number }): Promise<CounterValue> {
    return this.rpc.call(LimiterPatterns.set, { tags: cmd.tags, counters: cmd.counters });
  }

  explain(cmd: CounterChange): Promise<Explanation> {
    return this.rpc.call(LimiterPatterns.explain, { tags: cmd.tags, counters: cmd.counters });
  }

  listCounters(query: Query, page: PageRequest): Promise<Page<CounterValue>> {
    return this.rpc.call(LimiterPatterns.listCounters, { query, page });
  }

  async ping(): Promise<void> {
    await this.rpc.call(LimiterPatterns.ping, null, { timeoutMs: 1_000 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed.close();
    if (this.rpc !== this.feedRpc) await this.rpc.close();
  }
}
