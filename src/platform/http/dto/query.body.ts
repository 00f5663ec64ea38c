import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { parseQuery, type Query } from '../../../common/query';
import { ApiWhere } from './api-properties';

/** A Query over tags, sent as the whole body of `.../query` or as a dequeue's `Query`; `{}` selects everything. */
@ApiSchema({ name: 'Query', description: 'A query over tag sets: `Where` conditions and key-count bounds; `{}` selects everything.' })
export class QueryBody {
  /** Conditions over tag keys; a bare value means `$eq`. */
  @ApiWhere({ description: 'Conditions over tag keys; a bare value means `$eq`.' })
  @Allow()
  readonly Where?: unknown;

  /** Fewest keys a tag set may have. */
  @ApiProperty({ required: false, type: 'integer', minimum: 0 })
  @Allow()
  readonly MinKeys?: unknown;

  /** Most keys a tag set may have. */
  @ApiProperty({ required: false, type: 'integer', minimum: 0 })
  @Allow()
  readonly MaxKeys?: unknown;

  /** The tag set may hold no key outside this list. */
  @ApiProperty({ required: false, type: [String], example: ['repo_name', 'branch_name', 'os'] })
  @Allow()
  readonly OnlyKeys?: unknown;

  /** Parses the body with the kernel's query parser; faults name their path (`Where.os.$gt`). */
  toQuery(): Query {
    const raw = Object.fromEntries(Object.entries(this).filter(([, v]) => v !== undefined));
    return parseQuery(raw, '');
  }
}
