import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from './error-response';

/** Answers any route that writes can give when the store is full, failing, or the process is stopping. */
export const STORE_ERRORS = { 503: ['STORE_UNAVAILABLE', 'SHUTTING_DOWN'], 507: ['STORAGE_FULL'] } as const;

/** Documents a route's error answers: status → the stable codes it may carry. Every route can also answer 400. */
export function ApiErrors(byStatus: Readonly<Record<number, readonly string[]>>): MethodDecorator & ClassDecorator {
  const all: Record<number, string[]> = { 400: ['INVALID_INPUT', 'INVALID_JSON', 'TOO_DEEP'], 413: ['TOO_LARGE'] };
  for (const [status, codes] of Object.entries(byStatus)) all[Number(status)] = [...(all[Number(status)] ?? []), ...codes];
  return applyDecorators(
    ...Object.entries(all).map(([status, codes]) =>
      ApiResponse({ status: Number(status), type: ErrorResponse, description: codes.join(', ') }),
    ),
  );
}
