import { HttpStatus } from '@nestjs/common';
import type { KernelErrorCode } from '../../common/errors';

export const kernelErrorStatus = {
  INVALID_INPUT: HttpStatus.BAD_REQUEST,
  INVALID_JSON: HttpStatus.BAD_REQUEST,
  TOO_DEEP: HttpStatus.BAD_REQUEST,
  TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  ROUTE_NOT_FOUND: HttpStatus.NOT_FOUND,
  ALREADY_EXISTS: HttpStatus.CONFLICT,
  STORAGE_FULL: HttpStatus.INSUFFICIENT_STORAGE,
  STORE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  DEPENDENCY_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  SHUTTING_DOWN: HttpStatus.SERVICE_UNAVAILABLE,
  BACKUP_IN_PROGRESS: HttpStatus.CONFLICT,
  BACKUP_UNSUPPORTED: HttpStatus.CONFLICT,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  INTERNAL: HttpStatus.INTERNAL_SERVER_ERROR,
} satisfies Record<KernelErrorCode, HttpStatus>;

/** Status of every stable code, merged from the kernel's and each module's tables. */
export type ErrorStatusTable = Readonly<Record<string, HttpStatus>>;
