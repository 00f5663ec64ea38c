import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { CONFIG, type Config } from '../config';
import { HealthController } from './health/health.controller';
import { assignRequestId } from './http/request-id';
import { ReadinessChecks } from './health/readiness-checks';
import { ShutdownSignal } from './lifecycle/shutdown-signal';
import { StorageModule } from './storage/storage.module';
import { ObservabilityModule } from './observability/observability.module';
import { CLOCK } from './clock.token';
import { systemClock } from '../common/clock';
import { SCHEDULER } from './scheduler.token';
import { systemScheduler } from '../common/scheduler';

const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);

/**
 * Nest glue every module uses: config, storage, logging with request ids, health, shutdown, observability. Never
 * imports a module.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: assignRequestId,
            customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: unknown }).id }),
            // One line per request at info; below that level pino-http skips the per-request work altogether.
            autoLogging: REQUEST_LOG_LEVELS.has(config.logLevel) && {
              ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health'),
            },
            quietReqLogger: true,
          },
        }),
        TerminusModule.forRoot({ logger: false }),
        StorageModule,
        ObservabilityModule.forRoot(config),
      ],
      controllers: [HealthController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: CLOCK, useValue: systemClock },
        { provide: SCHEDULER, useValue: systemScheduler },
        ShutdownSignal,
        ReadinessChecks,
      ],
      exports: [CONFIG, CLOCK, SCHEDULER, ShutdownSignal, ReadinessChecks, StorageModule],
    };
  }
}
