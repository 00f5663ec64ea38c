import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { StoreUnavailableError } from '../../common/errors';
import { ErrorResponse } from '../http/error-response';
import { STORAGE, type StorageHandle } from '../storage/storage-handle';
import { ShutdownSignal } from '../lifecycle/shutdown-signal';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownSignal,
    @Inject(STORAGE) private readonly storage: StorageHandle,
  ) {}

  /** Readiness: the store answers (same as /health/ready). */
  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: 'STORE_UNAVAILABLE, SHUTTING_DOWN' })
  check(): Promise<HealthCheckResult> {
    return this.ready();
  }

  /** Liveness: the process answers HTTP. */
  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]);
  }

  /** Readiness: the store answers and the process is not shutting down. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: 'STORE_UNAVAILABLE, SHUTTING_DOWN' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.storeIndicator(), () => this.lifecycleIndicator()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const details = (error.getResponse() as { details?: unknown }).details;
      throw new NotReadyError(details);
    }
  }

  private storeIndicator() {
    const session = this.indicators.check('store');
    try {
      this.storage.ping();
      return session.up({ kind: this.storage.kind });
    } catch (error) {
      return session.down({ kind: this.storage.kind, message: (error as Error).message });
    }
  }

  private lifecycleIndicator() {
    const session = this.indicators.check('lifecycle');
    return this.shutdown.shuttingDown ? session.down({ message: 'shutting down' }) : session.up();
  }
}

class NotReadyError extends StoreUnavailableError {
  constructor(details: unknown) {
    super('readiness check failed');
    Object.assign(this.details, { Details: details });
  }
}
