import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { DependencyUnavailableError, StoreUnavailableError } from '../../common/errors';
import type { Scheduler } from '../../common/scheduler';
import { CONFIG, type Config } from '../../config';
import { SCHEDULER } from '../scheduler.token';
import { ApiErrorResponses } from '../http/api-errors';
import { OpenRoute } from '../http/require-scope';
import { HealthResponse } from './health.response';
import { STORAGE, type StorageHandle } from '../storage/storage-handle';
import { ShutdownSignal } from '../lifecycle/shutdown-signal';
import { ReadinessChecks, type ReadinessCheck } from './readiness-checks';

const NOT_READY = { 503: ['STORE_UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE', 'SHUTTING_DOWN'] };

@ApiTags('health')
@Controller('health')
@OpenRoute()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownSignal,
    @Inject(STORAGE) private readonly storage: StorageHandle,
    private readonly checks: ReadinessChecks,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CONFIG) private readonly config: Config,
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
    try {
      await this.withinDeadline(check());
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }

  private async storeIndicator() {
    const session = this.indicators.check('store');
    try {
      await this.withinDeadline(this.storage.ping());
      return session.up({ kind: this.storage.kind });
    } catch (error) {
      return session.down({ kind: this.storage.kind, message: (error as Error).message });
    }
  }

  /** A check that does not answer within `timing.healthCheckMs` is reported down: readiness never hangs. */
  private async withinDeadline(answer: unknown): Promise<void> {
    const ms = this.config.timing.healthCheckMs;
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = this.scheduler.after(ms, () => reject(new Error(`no answer within ${ms} ms`)));
    });
    try {
      await Promise.race([answer, timedOut]);
    } finally {
      timer?.cancel();
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
