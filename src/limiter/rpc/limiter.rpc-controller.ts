import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Page, PageRequest } from '../../common/page';
import type { Query } from '../../common/query';
import type { Tags } from '../../common/tags';
import type { RpcEnvelope } from '../../platform/transport/rpc-envelope';
import { serveRpc } from '../../platform/transport/rpc-serve';
import {
  LIMITER_PORT,
  LimiterPatterns,
  type CounterChange,
  type CounterDecrement,
  type CounterValue,
  type Explanation,
  type IncrementResult,
  type LimiterPort,
} from '../limiter.port';
import { CapacityLog, type EventsPage } from './capacity-log';

/** Longest `limiter.events` poll the server holds. */
const EVENTS_WAIT_MAX_MS = 60_000;

/** Serves the LimiterPort to other processes (active when WILLOW_TRANSPORT_LISTEN connects a transport). */
@Controller()
export class LimiterRpcController {
  constructor(
    @Inject(LIMITER_PORT) private readonly limiter: LimiterPort,
    private readonly log: CapacityLog,
  ) {}

  @MessagePattern(LimiterPatterns.tryIncrement)
  tryIncrement(@Payload() msg: RpcEnvelope<CounterChange>): Promise<IncrementResult> {
    return serveRpc(LimiterPatterns.tryIncrement, msg, (cmd) => this.limiter.tryIncrement(cmd));
  }

  @MessagePattern(LimiterPatterns.decrement)
  decrement(@Payload() msg: RpcEnvelope<CounterDecrement>): Promise<CounterValue> {
    return serveRpc(LimiterPatterns.decrement, msg, (cmd) => this.limiter.decrement(cmd));
  }

  @MessagePattern(LimiterPatterns.tryIncrementMany)
  tryIncrementMany(@Payload() msg: RpcEnvelope<CounterChange[]>): Promise<IncrementResult[]> {
    return serveRpc(LimiterPatterns.tryIncrementMany, msg, (cmds) => this.limiter.tryIncrementMany(cmds));
  }

  @MessagePattern(LimiterPatterns.decrementMany)
  decrementMany(@Payload() msg: RpcEnvelope<CounterDecrement[]>): Promise<CounterValue[]> {
    return serveRpc(LimiterPatterns.decrementMany, msg, (cmds) => this.limiter.decrementMany(cmds));
  }

  @MessagePattern(LimiterPatterns.set)
  set(@Payload() msg: RpcEnvelope<{ tags: Tags; counters: number }>): Promise<CounterValue> {
    return serveRpc(LimiterPatterns.set, msg, (cmd) => this.limiter.set(cmd));
  }

  @MessagePattern(LimiterPatterns.explain)
  explain(@Payload() msg: RpcEnvelope<CounterChange>): Promise<Explanation> {
    return serveRpc(LimiterPatterns.explain, msg, (cmd) => this.limiter.explain(cmd));
  }

  @MessagePattern(LimiterPatterns.listCounters)
  listCounters(@Payload() msg: RpcEnvelope<{ query: Query; page: PageRequest }>): Promise<Page<CounterValue>> {
    return serveRpc(LimiterPatterns.listCounters, msg, ({ query, page }) => this.limiter.listCounters(query, page));
  }

  /** Long-poll of capacity-freed events after a cursor (see CapacityLog). */
  @MessagePattern(LimiterPatterns.events)
  events(@Payload() msg: RpcEnvelope<{ cursor: string | null; waitMs: number }>): Promise<EventsPage> {
    return serveRpc(
      LimiterPatterns.events,
      msg,
      ({ cursor, waitMs }) => this.log.poll(typeof cursor === 'string' ? cursor : null, Math.min(Math.max(0, Number(waitMs) || 0), EVENTS_WAIT_MAX_MS)),
      { quiet: true },
    );
  }

  @MessagePattern(LimiterPatterns.ping)
  ping(@Payload() msg: RpcEnvelope<null>): Promise<string> {
    return serveRpc(LimiterPatterns.ping, msg, () => 'pong', { quiet: true });
  }
}
