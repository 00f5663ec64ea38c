import { Module, type DynamicModule } from '@nestjs/common';
import { STORAGE, type StorageHandle } from '../platform/storage/storage-handle';
import { LockerController } from './http/locker.controller';
import { LOCKER_PORT } from './locker.port';
import { LockerService } from './locker.service';
import { LOCKER_STORE, type LockerStore } from './locker.store';
import { SqliteLockerStore } from './store/sqlite-locker.store';

@Module({})
export class LockerModule {
  /** `local`: this process serves the Locker (HTTP and port) on its own store. */
  static forRoot(_opts: { mode: 'local' }): DynamicModule {
    return {
      module: LockerModule,
      controllers: [LockerController],
      providers: [
        LockerService,
        { provide: LOCKER_PORT, useExisting: LockerService },
        {
          provide: LOCKER_STORE,
          inject: [STORAGE],
          useFactory: (storage: StorageHandle): LockerStore => {
            switch (storage.kind) {
              case 'embedded':
                return new SqliteLockerStore(storage);
            }
          },
        },
      ],
      exports: [LOCKER_PORT],
      // The ports are the module's public face: any module may inject them (through the module's index.ts).
      global: true,
    };
  }
}
