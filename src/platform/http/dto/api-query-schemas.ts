import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * The query language's recursive schemas (Where, its operators, a tag value), added to the document's components
 * by `buildOpenApiDocument`: decorators cannot express a recursive map of conditions.
 */
export const QUERY_SCHEMAS: Readonly<Record<string, SchemaObject>> = {
  TagValue: {
    description: 'A tag value: a string (at most 1024 characters), a finite number or a boolean. Equality is typed ("1" ≠ 1).',
    oneOf: [{ type: 'string', maxLength: 1024 }, { type: 'number' }, { type: 'boolean' }],
  },
  WhereOps: {
    type: 'object',
    description:
      'Operators on one key. `$ne`/`$nin` also match tag sets without the key; `$lt`..`$gte` compare numbers with ' +
      'numbers and strings with strings (by code point), and never match across types.',
    properties: {
      $eq: ref('TagValue'),
      $ne: ref('TagValue'),
      $lt: ref('TagValue'),
      $lte: ref('TagValue'),
      $gt: ref('TagValue'),
      $gte: ref('TagValue'),
      $in: { type: 'array', items: ref('TagValue') },
      $nin: { type: 'array', items: ref('TagValue') },
      $exists: { type: 'boolean' },
    },
    additionalProperties: false,
    minProperties: 1,
  },
  Where: {
    type: 'object',
    description:
      'Conditions over tag keys, all of which must hold: each key maps to a bare value (meaning `$eq`) or to ' +
      'operators; `$or`, `$and` and `$not` combine nested Where clauses.',
    properties: {
      $or: { type: 'array', items: ref('Where'), description: 'At least one of these holds.' },
      $and: { type: 'array', items: ref('Where'), description: 'All of these hold.' },
      $not: { ...ref('Where'), description: 'This does not hold.' } as SchemaObject,
    },
    additionalProperties: { oneOf: [ref('TagValue'), ref('WhereOps')] },
    example: { os: 'linux', ios_required: { $exists: false }, $or: [{ cpu: { $gte: 8 } }, { fast: true }] },
  },
};
