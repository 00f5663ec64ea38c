import { HttpStatus } from '@nestjs/common';
import type { LockerErrorCode } from '../domain/locker.errors';

export const lockerErrorStatus = {
  LOCK_HELD: HttpStatus.CONFLICT,
  SESSION_INVALID: HttpStatus.CONFLICT,
  LOCK_NOT_FOUND: HttpStatus.NOT_FOUND,
} satisfies Record<LockerErrorCode, HttpStatus>;
