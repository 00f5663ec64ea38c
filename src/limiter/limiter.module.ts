import { Module, type DynamicModule } from '@nestjs/common';
import type { Scheduler } from '../common/scheduler';
import { CONFIG, type Config, type TransportUrl } from '../config';
import { ReadinessChecks } from '../platform/health/readiness-checks';
import { ShutdownSignal } from '../platform/lifecycle/shutdown-signal';
import { SCHEDULER } from '../platform/scheduler.token';
import { STORAGE, type StorageHandle } from '../platform/storage/storage-handle';
import { CapacityEvents } from './capacity-events';
import { LimiterCountersController } from './http/limiter-counters.controller';
import { LimiterOverridesController } from './http/limiter-overrides.controller';
import { LimiterRulesController } from './http/limiter-rules.controller';
import { LIMITER_ADMIN_PORT } from './limiter-admin.port';
import { LimiterAdminService } from './limiter-admin.service';
import { LIMITER_PORT } from './limiter.port';
import { LimiterService } from './limiter.service';
import { LIMITER_STORE, type LimiterStore } from './limiter.store';
import { PeerSync } from './peer-sync';
import { RuleCache } from './rule-cache';
import { CapacityLog } from './rpc/capacity-log';
import { CapacityPublisher } from './rpc/capacity-publisher';
import { createLimiterRpcClient, type LimiterRpcClient } from './rpc/limiter.rpc-client';
import { LimiterRpcController } from './rpc/limiter.rpc-controller';
import { PostgresLimiterStore } from './store/postgres-limiter.store';
import { SqliteLimiterStore } from './store/sqlite-limiter.store';

@Module({})
export class LimiterModule {
  /**
   * `local`: this process serves the Limiter (HTTP, both ports, and the LimiterPort's RPC controller for other
   * processes) on its own store. `remote`: LIMITER_PORT is a LimiterRpcClient to the process at `url`; no routes here.
   */
  static forRoot(opts: { mode: 'local' } | { mode: 'remote'; url: TransportUrl }): DynamicModule {
    if (opts.mode === 'remote') return LimiterModule.remote(opts.url);
    return {
      module: LimiterModule,
      controllers: [LimiterRulesController, LimiterOverridesController, LimiterCountersController, LimiterRpcController],
      providers: [
        RuleCache,
        CapacityEvents,
        CapacityPublisher,
        {
          provide: CapacityLog,
          inject: [CapacityEvents, ShutdownSignal, SCHEDULER],
          useFactory: (events: CapacityEvents, shutdown: ShutdownSignal, scheduler: Scheduler): CapacityLog => {
            const log = new CapacityLog(scheduler);
            events.stream$.subscribe((event) => log.append(event));
            shutdown.signal.addEventListener('abort', () => log.close(), { once: true });
            return log;
          },
        },
        LimiterService,
        LimiterAdminService,
        PeerSync,
        { provide: LIMITER_PORT, useExisting: LimiterService },
        { provide: LIMITER_ADMIN_PORT, useExisting: LimiterAdminService },
        {
          provide: LIMITER_STORE,
          inject: [STORAGE],
          useFactory: async (storage: StorageHandle): Promise<LimiterStore> => {
            switch (storage.kind) {
              case 'embedded':
                return new SqliteLimiterStore(storage);
              case 'postgres':
                return PostgresLimiterStore.open(storage);
            }
          },
        },
      ],
      exports: [LIMITER_PORT, LIMITER_ADMIN_PORT],
      // The ports are the module's public face: any module may inject them (through the module's index.ts).
      global: true,
    };
  }

  private static remote(url: TransportUrl): DynamicModule {
    return {
      module: LimiterModule,
      providers: [
        {
          provide: LIMITER_PORT,
          inject: [ReadinessChecks, SCHEDULER, CONFIG],
          useFactory: (checks: ReadinessChecks, scheduler: Scheduler, config: Config): LimiterRpcClient => {
            const client = createLimiterRpcClient(url, { scheduler, timing: config.timing });
            checks.add('limiter', () => client.ping());
            return client;
          },
        },
      ],
      exports: [LIMITER_PORT],
      global: true,
    };
  }
}
