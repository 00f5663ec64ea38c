import type { Tags } from '../../../common/tags';
import { ApiDuration, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { parseAcquire } from '../../domain/validate';
import type { AcquireLock } from '../../locker.port';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseAcquire`. */
export class AcquireLockBody {
  static readonly parse = parseAcquire;

  /** Tag set that names the lock; 1-64 keys, no key starting with `_` or `$`. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  /** Lease length: milliseconds or "30s" (100ms to 24h). Default 30s. */
  @ApiDuration({ example: '30s' })
  readonly Timeout?: number | string;

  /** How long to queue behind the holder: milliseconds or "10s" (0 to 10m); 0 = try once. Default 30s. */
  @ApiDuration({ example: '10s' })
  readonly Wait?: number | string;

  toCommand(): AcquireLock {
    return commandOf(this, parseAcquire);
  }
}
