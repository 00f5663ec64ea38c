import { Module, type DynamicModule } from '@nestjs/common';
import { STORAGE, type StorageHandle } from '../platform/storage/storage-handle';
import { CounterFence } from './leases/counter-fence';
import { CounterReconciler } from './leases/counter-reconciler';
import { Dispatcher } from './dispatch/dispatcher';
import { Gate } from './dispatch/gate';
import { IndexSync } from './dispatch/index-sync';
import { ChannelsController } from './http/channels.controller';
import { ItemsController } from './http/items.controller';
import { QueuesController } from './http/queues.controller';
import { LeaseKeeper } from './leases/lease-keeper';
import { QueueAdminService } from './queue-admin.service';
import { PostgresWillowStore } from './store/postgres-willow.store';
import { SqliteWillowStore } from './store/sqlite-willow.store';
import { QUEUE_ADMIN_PORT, WILLOW_PORT } from './willow.port';
import { WillowService } from './willow.service';
import { WILLOW_STORE, type WillowStore } from './willow.store';
import { WillowEvents } from './willow-events';
import { QueueGauges } from './queue-gauges';

@Module({})
export class WillowModule {
  /** `local`: this process serves the queue (HTTP and ports) on its own store; the Limiter port must be bound. */
  static forRoot(_opts: { mode: 'local' }): DynamicModule {
    return {
      module: WillowModule,
      controllers: [QueuesController, ItemsController, ChannelsController],
      providers: [
        WillowEvents,
        QueueGauges,
        Dispatcher,
        IndexSync,
        CounterReconciler,
        CounterFence,
        LeaseKeeper,
        Gate,
        WillowService,
        QueueAdminService,
        { provide: WILLOW_PORT, useExisting: WillowService },
        { provide: QUEUE_ADMIN_PORT, useExisting: QueueAdminService },
        {
          provide: WILLOW_STORE,
          inject: [STORAGE],
          useFactory: async (storage: StorageHandle): Promise<WillowStore> => {
            switch (storage.kind) {
              case 'embedded':
                return new SqliteWillowStore(storage);
              case 'postgres':
                return PostgresWillowStore.open(storage);
            }
          },
        },
      ],
      exports: [WILLOW_PORT, QUEUE_ADMIN_PORT],
    };
  }
}
