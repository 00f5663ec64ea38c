import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type ApiResponseOptions } from '@nestjs/swagger';
import { errorExample } from './error-examples';
import { ErrorResponse } from './error-response';

type ErrorsByStatus = Readonly<Record<number, readonly string[]>>;

/** Answers any route that writes can give when the store is full, failing, or the process is stopping. */
export const STORE_ERRORS = { 503: ['STORE_UNAVAILABLE', 'SHUTTING_DOWN'], 507: ['STORAGE_FULL'] } as const;

/** What every /v1 route can answer: bad input, a body too large, a store that does not answer. */
const EVERY_ROUTE: ErrorsByStatus = { 400: ['INVALID_INPUT', 'INVALID_JSON', 'TOO_DEEP'], 413: ['TOO_LARGE'], 503: ['STORE_UNAVAILABLE'] };

/**
 * Documents a /v1 route's error answers: status → the stable codes it may carry, each with its own example.
 * Every route can also answer 400, 413 and 503 STORE_UNAVAILABLE.
 */
export function ApiErrors(byStatus: ErrorsByStatus): MethodDecorator & ClassDecorator {
  return ApiErrorResponses(merge(EVERY_ROUTE, byStatus));
}

/** Documents exactly these error answers (status → codes), one `ErrorResponse` example per code. */
export function ApiErrorResponses(byStatus: ErrorsByStatus): MethodDecorator & ClassDecorator {
  return applyDecorators(...Object.entries(byStatus).map(([status, codes]) => ApiResponse(errorResponse(Number(status), codes))));
}

/**
 * One documented error status: `ErrorResponse` (or `type`) with one named example per code. (Not named
 * `Api…Response`: the Swagger CLI plugin would take it for a success response and stop inferring the 2xx.)
 */
export function ApiErrorCodes(status: number, codes: readonly string[], type: new () => object = ErrorResponse): MethodDecorator & ClassDecorator {
  return ApiResponse(errorResponse(status, codes, type));
}

function errorResponse(status: number, codes: readonly string[], type: new () => object = ErrorResponse): ApiResponseOptions {
  return {
    status,
    type,
    description: codes.join(', '),
    examples: Object.fromEntries(codes.map((code) => [code, { summary: code, value: errorExample(code) }])),
  } as ApiResponseOptions;
}

function merge(a: ErrorsByStatus, b: ErrorsByStatus): Record<number, string[]> {
  const all: Record<number, string[]> = {};
  for (const table of [a, b]) {
    for (const [status, codes] of Object.entries(table)) all[Number(status)] = [...new Set([...(all[Number(status)] ?? []), ...codes])];
  }
  return all;
}
