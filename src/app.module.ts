import { Module, type DynamicModule } from '@nestjs/common';
import type { Config } from './config';
import { LimiterModule } from './limiter';
import { LockerModule } from './locker';
import { PlatformModule } from './platform/platform.module';
import { WillowModule } from './willow';

/** Composition root: the platform, then each module in the mode the configuration picks. */
@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(config),
        LimiterModule.forRoot({ mode: 'local' }),
        LockerModule.forRoot({ mode: 'local' }),
        WillowModule.forRoot({ mode: 'local' }),
      ],
    };
  }
}
