import { HttpStatus } from '@nestjs/common';
import type { LimiterErrorCode } from '../domain/limiter.errors';

export const limiterErrorStatus = {
  LIMIT_REACHED: HttpStatus.CONFLICT,
  RULE_NOT_FOUND: HttpStatus.NOT_FOUND,
  OVERRIDE_NOT_FOUND: HttpStatus.NOT_FOUND,
} satisfies Record<LimiterErrorCode, HttpStatus>;

/** What any write may answer when the store fails or the process stops. */
export const STORE_ERRORS = { 503: ['STORE_UNAVAILABLE', 'SHUTTING_DOWN'], 507: ['STORAGE_FULL'] } as const;
