import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Scheduler } from '../../common/scheduler';
import { CONFIG, type Config } from '../../config';
import { SCHEDULER } from '../scheduler.token';
import { PostgresStorage } from './postgres/postgres-storage';
import { EmbeddedStorage } from './sqlite/embedded-storage';
import { STORAGE, type StorageHandle } from './storage-handle';
import { BackupController } from './backup/backup.controller';
import { Backups } from './backup/backups';

@Global()
@Module({
  providers: [
    {
      provide: STORAGE,
      inject: [CONFIG, SCHEDULER],
      useFactory: async (config: Config, scheduler: Scheduler): Promise<StorageHandle> => {
        if (config.storage === 'embedded') return new EmbeddedStorage({ dataDir: config.dataDir, sync: config.sync });
        const { databaseUrl, pgSchema: schema, pgPoolSize: poolSize, timing } = config;
        const storage = new PostgresStorage({ url: databaseUrl!, schema, poolSize, scheduler, timing });
        await storage.open();
        return storage;
      },
    },
    {
      provide: Backups,
      inject: [STORAGE, CONFIG],
      useFactory: (storage: StorageHandle, config: Config) => new Backups(storage, config.dataDir === ':memory:' ? null : config.dataDir),
    },
  ],
  controllers: [BackupController],
  exports: [STORAGE],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(STORAGE) private readonly storage: StorageHandle) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
