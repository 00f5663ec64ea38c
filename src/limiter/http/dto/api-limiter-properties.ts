import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { COUNTERS_MAX, LIMIT_MAX } from '../../domain/validate';

/** Swagger shape of a Limit: -1 unlimited, 0 nothing allowed, n at most n. */
export function ApiLimit(options: ApiPropertyOptions = {}): PropertyDecorator {
  return ApiProperty({ type: 'integer', minimum: -1, maximum: LIMIT_MAX, example: 4, ...options } as ApiPropertyOptions);
}

/** Swagger shape of a Counters amount. */
export function ApiCounters(options: ApiPropertyOptions = {}): PropertyDecorator {
  return ApiProperty({ type: 'integer', minimum: 1, maximum: COUNTERS_MAX, required: false, example: 1, ...options } as ApiPropertyOptions);
}
