import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { DependencyUnavailableError, StoreUnavailableError } from '../../common/errors';
import { ApiErrorResponses } from '../http/api-errors';
import { HealthResponse } from './health.response';
import { STORAGE, type StorageHandle } from '../storage/storage-handle';
import { ShutdownSignal } from '../lifecycle/shutdown-signal';
import { ReadinessChecks, type ReadinessCheck } from './readiness-checks';

/** A remote port that does not answer its ping within this is reported down (readiness never hangs). */
const CHECK_TIMEOUT_MS = 1_500;

const NOT_READY = { 503: ['STORE_UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE', 'SHUTTING_DOWN'] };

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownSignal,
    @Inject(STORAGE) private readonly storage: StorageHandle,
    private readonly checks: ReadinessChecks,
  ) {}

  /** Readiness: the store answers (same as /health/ready). */
  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthResponse, description: 'Every indicator is up.' })
  @ApiErrorResponses(NOT_READY)
  check(): Promise<HealthCheckResult> {
    return this.ready();
  }

  /** Liveness: the process answers HTTP. */
  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthResponse, description: 'Every indicator is up.' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]);
  }

  /** Readiness: the store answers, every remote port answers its ping, and the process is not shutting down. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthResponse, description: 'Every indicator is up.' })
  @ApiErrorResponses(NOT_READY)
  async ready(): Promise<HealthCheckResult> {
    const remote = this.checks.entries().map(([name, check]) => () => this.checkIndicator(name, check));
    try {
      return await this.health.check([() => this.storeIndicator(), ...remote, () => this.lifecycleIndicator()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const details = (error.getResponse() as { details?: Record<string, { status?: string }> }).details ?? {};
      const down = Object.keys(details).filter((name) => details[name]?.status === 'down');
      if (details.store?.status === 'up' && down.length > 0 && !down.includes('lifecycle')) {
        throw new DependencyNotReadyError(down, details);
      }
      throw new NotReadyError(details);
    }
  }

  private async checkIndicator(name: string, check: ReadinessCheck) {
    const session = this.indicators.check(name);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([check(), timedOut]);
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  private async storeIndicator() {
    const session = this.indicators.check('store');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.storage.ping(), timedOut]);
      return session.up({ kind: this.storage.kind });
    } catch (error) {
      return session.down({ kind: this.storage.kind, message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  private lifecycleIndicator() {
    const session = this.indicators.check('lifecycle');
    return this.shutdown.shuttingDown ? session.down({ message: 'shutting down' }) : session.up();
  }
}

class DependencyNotReadyError extends DependencyUnavailableError {
  constructor(down: readonly string[], details: unknown) {
    super(down.join(', '), 'readiness check failed');
    Object.assign(this.details, { Details: details });
  }
}

class NotReadyError extends StoreUnavailableError {
  constructor(details: unknown) {
    super('readiness check failed');
    Object.assign(this.details, { Details: details });
  }
}
