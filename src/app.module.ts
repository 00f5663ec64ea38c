import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth';
import type { Config } from './config';
import { LimiterModule } from './limiter';
import { LockerModule } from './locker';
import { DashboardModule } from './platform/dashboard/dashboard.module';
import { PlatformModule } from './platform/platform.module';
import { WillowModule } from './willow';

/**
 * Composition root: the platform, then each module in the mode the configuration picks. A module this process
 * serves is `local`; one it reaches through its `*_URL` is `remote`; any other is absent (DESIGN.md §1).
 */
@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    const serves = (module: Config['modules'][number]) => config.modules.includes(module);
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(config),
        AuthModule.forRoot(),
        ...(serves('limiter')
          ? [LimiterModule.forRoot({ mode: 'local' })]
          : config.limiterUrl
            ? [LimiterModule.forRoot({ mode: 'remote', url: config.limiterUrl })]
            : []),
        ...(serves('locker')
          ? [LockerModule.forRoot({ mode: 'local' })]
          : config.lockerUrl
            ? [LockerModule.forRoot({ mode: 'remote', url: config.lockerUrl })]
            : []),
        ...(serves('willow') ? [WillowModule.forRoot({ mode: 'local' })] : []),
        DashboardModule.forRoot(),
      ],
    };
  }
}
