import { Module, type DynamicModule } from '@nestjs/common';
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
import { RuleCache } from './rule-cache';
import { SqliteLimiterStore } from './store/sqlite-limiter.store';

@Module({})
export class LimiterModule {
  /** `local`: this process serves the Limiter (HTTP and both ports) on its own store. */
  static forRoot(_opts: { mode: 'local' }): DynamicModule {
    return {
      module: LimiterModule,
      controllers: [LimiterRulesController, LimiterOverridesController, LimiterCountersController],
      providers: [
        RuleCache,
        CapacityEvents,
        LimiterService,
        LimiterAdminService,
        { provide: LIMITER_PORT, useExisting: LimiterService },
        { provide: LIMITER_ADMIN_PORT, useExisting: LimiterAdminService },
        {
          provide: LIMITER_STORE,
          inject: [STORAGE],
          useFactory: (storage: StorageHandle): LimiterStore => {
            switch (storage.kind) {
              case 'embedded':
                return new SqliteLimiterStore(storage);
            }
          },
        },
      ],
      exports: [LIMITER_PORT, LIMITER_ADMIN_PORT],
      // The ports are the module's public face: any module may inject them (through the module's index.ts).
      global: true,
    };
  }
}
