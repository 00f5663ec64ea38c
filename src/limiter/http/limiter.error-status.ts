import { HttpStatus } from '@nestjs/common';
import type { LimiterErrorCode } from '../domain/limiter.errors';

export const limiterErrorStatus = {
  LIMIT_REACHED: HttpStatus.CONFLICT,
  RULE_NOT_FOUND: HttpStatus.NOT_FOUND,
  OVERRIDE_NOT_FOUND: HttpStatus.NOT_FOUND,
} satisfies Record<LimiterErrorCode, HttpStatus>;
