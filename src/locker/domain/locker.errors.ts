import { DomainError } from '../../common/errors';

export type LockerErrorCode = 'LOCK_HELD' | 'SESSION_INVALID' | 'LOCK_NOT_FOUND';

export class LockHeldError extends DomainError<'LOCK_HELD'> {
  readonly code = 'LOCK_HELD';
  constructor(waitedMs: number) {
    super(`Lock not granted within ${waitedMs} ms; retry later or raise Wait`, { WaitedMs: waitedMs });
  }
}

export class SessionInvalidError extends DomainError<'SESSION_INVALID'> {
  readonly code = 'SESSION_INVALID';
  constructor(lockId: string, why: string) {
    super(`Session does not hold lock ${lockId} (${why}); acquire the lock again`, { LockID: lockId });
  }
}

export class LockNotFoundError extends DomainError<'LOCK_NOT_FOUND'> {
  readonly code = 'LOCK_NOT_FOUND';
  constructor(lockId: string) {
    super(`No lock ${lockId} is held or remembered; acquire it with POST /v1/locks`, { LockID: lockId });
  }
}
