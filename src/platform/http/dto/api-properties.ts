import { applyDecorators } from '@nestjs/common';
import { ApiProperty, getSchemaPath, type ApiPropertyOptions } from '@nestjs/swagger';

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
    oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$' }],
    required: false,
    ...options,
  } as ApiPropertyOptions);
}

/** Swagger shape of a Where clause: the recursive `Where` schema (conditions per key plus $or, $and, $not). */
export function ApiWhere(options: ApiPropertyOptions = {}): PropertyDecorator {
  return ApiProperty({
    allOf: [{ $ref: getSchemaPath('Where') }],
    required: false,
    example: { os: 'linux', ios_required: { $exists: false } },
    ...options,
  } as ApiPropertyOptions);
}

/**
 * Swagger shape of an item's `Data`: any JSON value (string, number, boolean, null, object or array). A schema
 * combinator replaces the type the CLI plugin infers from `unknown` (object), which would refuse strings.
 */
export function ApiAnyJson(options: ApiPropertyOptions = {}): PropertyDecorator {
  return ApiProperty({
    anyOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'object', additionalProperties: true },
      { type: 'array', items: {} },
    ],
    nullable: true,
    description: 'Any JSON value: string, number, boolean, null, object or array (binary: a base64 string).',
    ...options,
  } as ApiPropertyOptions);
}
