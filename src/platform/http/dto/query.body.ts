import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { parseQuery, type Query } from '../../../common/query';
import { ApiWhere } from './api-properties';
import { commandOf } from './dto-instance';

/** A Query over tags, sent as the whole body of `.../query` or as a dequeue's `Query`; `{}` selects everything. */
@ApiSchema({ name: 'Query', description: 'A query over tag sets: `Where` conditions and key-count bounds; `{}` selects everything.' })
export class QueryBody {
  static readonly parse = (raw: unknown, path: string): Query => parseQuery(raw, path);

  /** Conditions over tag keys; a bare value means `$eq`. */
  @ApiWhere({ description: 'Conditions over tag keys; a bare value means `$eq`.' })
  readonly Where?: unknown;

  /** Fewest keys a tag set may have. */
  @ApiProperty({ required: false, type: 'integer', minimum: 0 })
  readonly MinKeys?: unknown;

  /** Most keys a tag set may have. */
  @ApiProperty({ required: false, type: 'integer', minimum: 0 })
  readonly MaxKeys?: unknown;

  /** The tag set may hold no key outside this list. */
  @ApiProperty({ required: false, type: [String], example: ['repo_name', 'branch_name', 'os'] })
  readonly OnlyKeys?: unknown;

  /** Parses the body with the kernel's query parser; faults name their path (`Where.os.$gt`). */
  toQuery(): Query {
    return commandOf(this, parseQuery);
  }
}
