import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { CONFIG, type Config } from '../config';
import { HealthController } from './health/health.controller';
import { REQUEST_LOG_BINDER, requestLogging } from './http/request-log';
import { ReadinessChecks } from './health/readiness-checks';
import { ShutdownSignal } from './lifecycle/shutdown-signal';
import { StorageModule } from './storage/storage.module';
import { ObservabilityModule } from './observability/observability.module';
import { CLOCK } from './clock.token';
import { systemClock } from '../common/clock';
import { SCHEDULER } from './scheduler.token';
import { useTransportSecret } from './transport/rpc-secret';
import { systemScheduler } from '../common/scheduler';

/**
 * Nest glue every module uses: config, storage, logging with request ids, health, shutdown, observability. Never
 * imports a module.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: Config): DynamicModule {
    useTransportSecret(config.access.transportSecret);
    const logging = requestLogging(config.logLevel);
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot(logging.params),
        TerminusModule.forRoot({ logger: false }),
        StorageModule,
        ObservabilityModule.forRoot(config),
      ],
      controllers: [HealthController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: REQUEST_LOG_BINDER, useValue: logging.binder },
        { provide: CLOCK, useValue: systemClock },
        { provide: SCHEDULER, useValue: systemScheduler },
        ShutdownSignal,
        ReadinessChecks,
      ],
      exports: [REQUEST_LOG_BINDER, CONFIG, CLOCK, SCHEDULER, ShutdownSignal, ReadinessChecks, StorageModule],
    };
  }
}
