import { HttpStatus } from '@nestjs/common';
import type { AuthErrorCode } from '../domain/auth.errors';

export const authErrorStatus = {
  FORBIDDEN: HttpStatus.FORBIDDEN,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
} satisfies Record<AuthErrorCode, HttpStatus>;
