import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type Config } from '../../config';
import { EmbeddedStorage } from './sqlite/embedded-storage';
import { STORAGE, type StorageHandle } from './storage-handle';

@Global()
@Module({
  providers: [
    {
      provide: STORAGE,
      inject: [CONFIG],
      useFactory: (config: Config): StorageHandle => new EmbeddedStorage({ dataDir: config.dataDir, sync: config.sync }),
    },
  ],
  exports: [STORAGE],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(STORAGE) private readonly storage: StorageHandle) {}

  onApplicationShutdown(): void {
    this.storage.close();
  }
}
