import { DomainError } from '../../common/errors';
import type { Scope } from '../../common/scopes';

/** Codes of the auth module; UNAUTHENTICATED is the kernel's (the transports raise it too). */
export type AuthErrorCode = 'FORBIDDEN' | 'RATE_LIMITED' | 'KEY_NOT_FOUND';

export class ForbiddenError extends DomainError<'FORBIDDEN'> {
  readonly code = 'FORBIDDEN';
  constructor(message: string, scope: Scope, queue: string | null) {
    super(message, queue === null ? { Scope: scope } : { Scope: scope, Queue: queue });
  }
}

export class RateLimitedError extends DomainError<'RATE_LIMITED'> {
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, { RetryAfter: retryAfterSeconds });
  }
}

export class KeyNotFoundError extends DomainError<'KEY_NOT_FOUND'> {
  readonly code = 'KEY_NOT_FOUND';
  constructor(name: string) {
    super(`No key named "${name}"; list keys with GET /v1/auth/keys`, { Name: name });
  }
}
