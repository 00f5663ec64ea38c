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
import { useTransportSecret } from './transport/rpc-secret';
import { systemScheduler } from '../common/scheduler';

const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** The serialized request of a log line, its credential headers replaced (on a copy: the headers are the request's). */
function withoutCredentials(req: { headers?: Record<string, unknown> }): object {
  const headers = req.headers;
  if (!headers || !CREDENTIAL_HEADERS.some((name) => name in headers)) return req;
  const kept = { ...headers };
  for (const name of CREDENTIAL_HEADERS) if (name in kept) kept[name] = '[redacted]';
  return { ...req, headers: kept };
}

/**
 * Nest glue every module uses: config, storage, logging with request ids, health, shutdown, observability. Never
 * imports a module.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: Config): DynamicModule {
    useTransportSecret(config.access.transportSecret);
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // A request's key is named by `keyName`; the header holding the key itself is never written. (A serializer
            // rather than pino's `redact`, which clones every request's bindings: measurably slower per request.)
            serializers: { req: withoutCredentials },
            genReqId: assignRequestId,
            // `keyName`: the Name of the key the request used (set by the access guard), never the key itself.
            customProps: (req: IncomingMessage) => {
              const { id, keyName } = req as IncomingMessage & { id?: unknown; keyName?: string };
              return keyName === undefined ? { requestId: id } : { requestId: id, keyName };
            },
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
