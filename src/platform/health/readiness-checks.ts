import { Injectable } from '@nestjs/common';

/** A readiness condition a module adds (a remote port answers its ping, start-up reconciliation is done). Rejects
 * with a message saying what is wrong. */
export type ReadinessCheck = () => Promise<void>;

/** Conditions `/health/ready` checks besides the store: modules register them, the platform never imports a module. */
@Injectable()
export class ReadinessChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  entries(): ReadonlyArray<[string, ReadinessCheck]> {
    return [...this.checks];
  }
}
