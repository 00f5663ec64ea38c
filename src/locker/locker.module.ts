import { Module, type DynamicModule } from '@nestjs/common';
import type { TransportUrl } from '../config';
import { ReadinessChecks } from '../platform/health/readiness-checks';
import { STORAGE, type StorageHandle } from '../platform/storage/storage-handle';
import { createClientProxy } from '../platform/transport/client-options';
import { RpcCaller } from '../platform/transport/rpc-caller';
import { LockerController } from './http/locker.controller';
import { LOCKER_PORT } from './locker.port';
import { LockerService } from './locker.service';
import { LockEvents } from './lock-events';
import { LOCKER_STORE, type LockerStore } from './locker.store';
import { LockerRpcClient } from './rpc/locker.rpc-client';
import { LockerRpcController } from './rpc/locker.rpc-controller';
import { PostgresLockerStore } from './store/postgres-locker.store';
import { SqliteLockerStore } from './store/sqlite-locker.store';

@Module({})
export class LockerModule {
  /**
   * `local`: this process serves the Locker (HTTP, the port, and its RPC controller for other processes) on its own
   * store. `remote`: the port is a LockerRpcClient to the process at `url`; no routes here.
   */
  static forRoot(opts: { mode: 'local' } | { mode: 'remote'; url: TransportUrl }): DynamicModule {
    if (opts.mode === 'remote') return LockerModule.remote(opts.url);
    return {
      module: LockerModule,
      controllers: [LockerController, LockerRpcController],
      providers: [
        LockEvents,
        LockerService,
        { provide: LOCKER_PORT, useExisting: LockerService },
        {
          provide: LOCKER_STORE,
          inject: [STORAGE],
          useFactory: async (storage: StorageHandle): Promise<LockerStore> => {
            switch (storage.kind) {
              case 'embedded':
                return new SqliteLockerStore(storage);
              case 'postgres':
                return PostgresLockerStore.open(storage);
            }
          },
        },
      ],
      exports: [LOCKER_PORT],
      // The ports are the module's public face: any module may inject them (through the module's index.ts).
      global: true,
    };
  }

  private static remote(url: TransportUrl): DynamicModule {
    return {
      module: LockerModule,
      providers: [
        {
          provide: LOCKER_PORT,
          inject: [ReadinessChecks],
          useFactory: (checks: ReadinessChecks): LockerRpcClient => {
            const client = new LockerRpcClient(new RpcCaller('locker', createClientProxy(url)));
            checks.add('locker', () => client.ping());
            return client;
          },
        },
      ],
      exports: [LOCKER_PORT],
      global: true,
    };
  }
}
