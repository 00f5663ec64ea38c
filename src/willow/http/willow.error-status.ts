import { HttpStatus } from '@nestjs/common';
import type { WillowErrorCode } from '../domain/willow.errors';

export const willowErrorStatus = {
  QUEUE_NOT_FOUND: HttpStatus.NOT_FOUND,
  ITEM_NOT_FOUND: HttpStatus.NOT_FOUND,
  DEAD_LETTER_NOT_FOUND: HttpStatus.NOT_FOUND,
  QUEUE_FULL: HttpStatus.CONFLICT,
  LEASE_LOST: HttpStatus.CONFLICT,
  QUEUE_DELETED: HttpStatus.GONE,
} satisfies Record<WillowErrorCode, HttpStatus>;
