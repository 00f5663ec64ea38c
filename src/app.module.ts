import { Module, type DynamicModule } from '@nestjs/common';
import type { Config } from './config';
import { LockerModule } from './locker';
import { PlatformModule } from './platform/platform.module';

/** Composition root: the platform, then each module in the mode the configuration picks. */
@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(config), LockerModule.forRoot({ mode: 'local' })],
    };
  }
}
