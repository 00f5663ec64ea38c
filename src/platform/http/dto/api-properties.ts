import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

const TAG_VALUE = { oneOf: [{ type: 'string', maxLength: 1024 }, { type: 'number' }, { type: 'boolean' }] };

/** Swagger shape of a KeyValues tag set (1–64 keys; string, number or boolean values). */
export function ApiKeyValues(options: ApiPropertyOptions = {}): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      type: 'object',
      additionalProperties: TAG_VALUE,
      minProperties: 1,
      maxProperties: 64,
      example: { repo_name: 'willow', branch_name: 'main' },
      ...options,
    } as ApiPropertyOptions),
  );
}

/** Swagger shape of a duration: milliseconds, or a string with a unit. */
export function ApiDuration(options: ApiPropertyOptions = {}): PropertyDecorator {
  return ApiProperty({
    oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$' }],
    required: false,
    ...options,
  } as ApiPropertyOptions);
}

/** Swagger shape of a Where clause (DESIGN.md §4): field conditions plus $or, $and, $not. */
export function ApiWhere(options: ApiPropertyOptions = {}): PropertyDecorator {
  return ApiProperty({
    type: 'object',
    additionalProperties: true,
    required: false,
    example: { os: 'linux', ios_required: { $exists: false } },
    ...options,
  } as ApiPropertyOptions);
}
