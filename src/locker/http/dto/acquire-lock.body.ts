import { LIMITS, parseDuration } from '../../../common/duration';
import { parseTags, type Tags } from '../../../common/tags';
import { ApiDuration, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import { LOCK_TIMEOUT_DEFAULT_MS, LOCK_WAIT_DEFAULT_MS } from '../../domain/validate';
import type { AcquireLock } from '../../locker.port';

const lease = { minMs: LIMITS.leaseMinMs, maxMs: LIMITS.leaseMaxMs };
const wait = { minMs: 0, maxMs: LIMITS.waitMaxMs };

export class AcquireLockBody {
  /** Tag set that names the lock; 1-64 keys, no key starting with `_` or `$`. */
  @ApiKeyValues()
  @ParsedBy((v, p) => parseTags(v, p))
  readonly KeyValues!: Tags;

  /** Lease length: milliseconds or "30s" (100ms to 24h). Default 30s. */
  @ApiDuration({ example: '30s' })
  @ParsedBy((v, p) => parseDuration(v, p, lease), { optional: true })
  readonly Timeout?: number | string;

  /** How long to queue behind the holder: milliseconds or "10s" (0 to 10m); 0 = try once. Default 30s. */
  @ApiDuration({ example: '10s' })
  @ParsedBy((v, p) => parseDuration(v, p, wait), { optional: true })
  readonly Wait?: number | string;

  toCommand(): AcquireLock {
    return {
      tags: parseTags(this.KeyValues, 'KeyValues'),
      timeoutMs: this.Timeout === undefined ? LOCK_TIMEOUT_DEFAULT_MS : parseDuration(this.Timeout, 'Timeout', lease),
      waitMs: this.Wait === undefined ? LOCK_WAIT_DEFAULT_MS : parseDuration(this.Wait, 'Wait', wait),
    };
  }
}
