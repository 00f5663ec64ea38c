import { Module, type DynamicModule } from '@nestjs/common';
import { ACCESS_GUARD } from '../platform/http/require-scope';
import { STORAGE, type StorageHandle } from '../platform/storage/storage-handle';
import { AccessLimits } from './access-limits';
import { AUTH_STORE, type AuthStore } from './auth.store';
import { AccessGuard } from './http/access.guard';
import { KeysController } from './http/keys.controller';
import { KeyRegistry } from './key-registry.service';
import { PostgresAuthStore } from './store/postgres-auth.store';
import { SqliteAuthStore } from './store/sqlite-auth.store';

/**
 * Access control (DESIGN.md §10): API keys on this process's store, the one access guard every HTTP route passes
 * (configureApp runs it first, through `ACCESS_GUARD`), which also tells a queue listing which queues its caller may
 * see.
 */
@Module({})
export class AuthModule {
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
      controllers: [KeysController],
      providers: [
        KeyRegistry,
        AccessLimits,
        AccessGuard,
        { provide: ACCESS_GUARD, useExisting: AccessGuard },
        {
          provide: AUTH_STORE,
          inject: [STORAGE],
          useFactory: async (storage: StorageHandle): Promise<AuthStore> => {
            switch (storage.kind) {
              case 'embedded':
                return new SqliteAuthStore(storage);
              case 'postgres':
                return PostgresAuthStore.open(storage);
            }
          },
        },
      ],
      exports: [ACCESS_GUARD],
    };
  }
}
