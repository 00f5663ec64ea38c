import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type Config } from '../../config';
import { PostgresStorage } from './postgres/postgres-storage';
import { EmbeddedStorage } from './sqlite/embedded-storage';
import { STORAGE, type StorageHandle } from './storage-handle';

@Global()
@Module({
  providers: [
    {
      provide: STORAGE,
      inject: [CONFIG],
      useFactory: async (config: Config): Promise<StorageHandle> => {
        if (config.storage === 'embedded') return new EmbeddedStorage({ dataDir: config.dataDir, sync: config.sync });
        const storage = new PostgresStorage({ url: config.databaseUrl!, schema: config.pgSchema, poolSize: config.pgPoolSize });
        await storage.open();
        return storage;
      },
    },
  ],
  exports: [STORAGE],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(STORAGE) private readonly storage: StorageHandle) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
