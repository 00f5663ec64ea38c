import type { Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import type { LockGrant, LockInfo } from '../../locker.port';

export class LockGrantResponse {
  /** Names the lock (one per tag set). */
  readonly LockID!: string;
  /** Names this grant; needed to heartbeat and release. */
  readonly SessionID!: string;
  /** Rises with every grant of this tag set, across restarts. */
  readonly FencingToken!: number;
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  /** Lease length in milliseconds. */
  readonly Timeout!: number;
  /** When the lease runs out unless renewed (ISO-8601). */
  readonly ExpiresAt!: string;

  static from(grant: LockGrant): LockGrantResponse {
    return {
      LockID: grant.lockId,
      SessionID: grant.sessionId,
      FencingToken: grant.fencingToken,
      KeyValues: grant.tags,
      Timeout: grant.timeoutMs,
      ExpiresAt: grant.expiresAt,
    };
  }
}

export class LockInfoResponse {
  readonly LockID!: string;
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  readonly FencingToken!: number;
  /** When the current lease runs out (ISO-8601). */
  readonly ExpiresAt!: string;
  /** Clients queued for this lock. */
  readonly Waiters!: number;

  static from(info: LockInfo): LockInfoResponse {
    return {
      LockID: info.lockId,
      KeyValues: info.tags,
      FencingToken: info.fencingToken,
      ExpiresAt: info.expiresAt,
      Waiters: info.waiters,
    };
  }
}

export class ExpiresAtResponse {
  /** When the renewed lease runs out (ISO-8601). */
  readonly ExpiresAt!: string;
}
