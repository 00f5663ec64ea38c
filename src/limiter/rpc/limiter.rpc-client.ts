import type { OnApplicationShutdown } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Page, PageRequest } from '../../common/page';
import type { Query } from '../../common/query';
import type { Tags } from '../../common/tags';
import type { Scheduler } from '../../common/scheduler';
import type { Timing, TransportUrl } from '../../config';
import { createClientProxy } from '../../platform/transport/client-options';
import { RpcCaller } from '../../platform/transport/rpc-caller';
import {
  LimiterPatterns,
  type CapacityFreed,
  type CounterChange,
  type CounterDecrement,
  type CounterValue,
  type Explanation,
  type IncrementResult,
  type LimiterPort,
} from '../limiter.port';
import { CapacityFeed } from './capacity-feed';
import { CapacitySubscription } from './capacity-subscription';

/** Where a remote `capacityFreed$` comes from: the NATS subject, or the `limiter.events` long-poll (TCP). */
export interface CapacitySource {
  readonly events$: Observable<CapacityFreed>;
  start(): void;
  close(): Promise<void>;
}

/** The LimiterPort at `url`; events by NATS subject over NATS, by long-poll (on a connection of its own) over TCP. */
export function createLimiterRpcClient(url: TransportUrl, time: { scheduler: Scheduler; timing: Timing }): LimiterRpcClient {
  const rpc = new RpcCaller('limiter', createClientProxy(url));
  const events =
    url.transport === 'nats' ? new CapacitySubscription(url, time) : new CapacityFeed(new RpcCaller('limiter', createClientProxy(url)), time);
  return new LimiterRpcClient(rpc, events);
}

/**
 * The LimiterPort served by another process (WILLOW_LIMITER_URL). Failures keep their code; an unreachable limiter
 * is DEPENDENCY_UNAVAILABLE. `capacityFreed$` comes from `events` (see CapacitySource), which emits `{tags: null}`
 * whenever it (re)connects.
 */
export class LimiterRpcClient implements LimiterPort, OnApplicationShutdown {
  readonly capacityFreed$: Observable<CapacityFreed>;

  constructor(
    private readonly rpc: RpcCaller,
    private readonly events: CapacitySource,
  ) {
    this.capacityFreed$ = events.events$;
    events.start();
  }

  tryIncrement(cmd: CounterChange): Promise<IncrementResult> {
    return this.rpc.call(LimiterPatterns.tryIncrement, { tags: cmd.tags, counters: cmd.counters });
  }

  decrement(cmd: CounterDecrement): Promise<CounterValue> {
    return this.rpc.call(LimiterPatterns.decrement, { tags: cmd.tags, counters: cmd.counters, opId: cmd.opId ?? null });
  }

  tryIncrementMany(cmds: readonly CounterChange[]): Promise<IncrementResult[]> {
    return this.rpc.call(LimiterPatterns.tryIncrementMany, cmds.map((cmd) => ({ tags: cmd.tags, counters: cmd.counters })));
  }

  decrementMany(cmds: readonly CounterDecrement[]): Promise<CounterValue[]> {
    return this.rpc.call(LimiterPatterns.decrementMany, cmds.map((cmd) => ({ tags: cmd.tags, counters: cmd.counters, opId: cmd.opId ?? null })));
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
    await this.events.close();
    await this.rpc.close();
  }
}
