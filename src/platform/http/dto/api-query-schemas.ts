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
    // A tag key takes a TagValue or WhereOps. OpenAPI 3.0 cannot single out the `$` keys from the free tag keys
    // (no patternProperties), and generators type `properties` beside `additionalProperties` as an intersection,
    // so the free keys also admit the combinators' shapes; the server answers 400 naming the path for those.
    additionalProperties: {
      anyOf: [ref('TagValue'), ref('WhereOps'), { type: 'array', items: ref('Where') }, ref('Where')],
      description: 'A tag key maps to a TagValue (`$eq`) or to WhereOps; `$or`/`$and` take Where[] and `$not` a Where.',
    },
    example: { os: 'linux', ios_required: { $exists: false }, $or: [{ cpu: { $gte: 8 } }, { fast: true }] },
  },
};
