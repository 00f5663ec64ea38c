import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Config } from '../../config';
import { EventHub } from './event-hub';
import { EventStreams } from './event-streams';
import { EventsController } from './events.controller';
import { HTTP_METRICS } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { NO_OBSERVER, OBSERVER } from './observer.port';
import { Telemetry } from './telemetry';
import { WillowMetrics } from './willow-metrics';

/**
 * `GET /metrics` and `GET /v1/events`, and the Observer the modules call (DESIGN §11). With `WILLOW_METRICS=off`
 * neither route exists and the Observer does nothing.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(config: Pick<Config, 'metrics'>): DynamicModule {
    if (!config.metrics) {
      return {
        module: ObservabilityModule,
        providers: [{ provide: OBSERVER, useValue: NO_OBSERVER }, { provide: HTTP_METRICS, useValue: null }],
        exports: [OBSERVER, HTTP_METRICS],
      };
    }
    return {
      module: ObservabilityModule,
      controllers: [MetricsController, EventsController],
      providers: [
        { provide: WillowMetrics, useFactory: () => new WillowMetrics() },
        { provide: EventHub, useFactory: () => new EventHub() },
        Telemetry,
        EventStreams,
        { provide: OBSERVER, useExisting: Telemetry },
        { provide: HTTP_METRICS, useExisting: WillowMetrics },
      ],
      exports: [OBSERVER, HTTP_METRICS],
    };
  }
}
