import { LIMITS, parseDuration } from '../../common/duration';
import { parseTags } from '../../common/tags';
import type { AcquireLock } from '../locker.port';

export const LOCK_TIMEOUT_DEFAULT_MS = 30_000;
export const LOCK_WAIT_DEFAULT_MS = 30_000;

/** Re-checks an acquire command with the kernel parsers, so callers without the HTTP DTO get the same errors. */
export function checkAcquire(cmd: AcquireLock): void {
  parseTags(cmd.tags, 'KeyValues');
  parseDuration(cmd.timeoutMs, 'Timeout', { minMs: LIMITS.leaseMinMs, maxMs: LIMITS.leaseMaxMs });
  parseDuration(cmd.waitMs, 'Wait', { minMs: 0, maxMs: LIMITS.waitMaxMs });
}
