import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { parseQuery, type Query } from '../../../common/query';
import { ApiWhere } from './api-properties';

/** A Query over tags (DESIGN.md §4) sent as the whole body of `.../query`; `{}` selects everything. */
export class QueryBody {
  /** Conditions over tag keys; a bare value means `$eq`. */
  @ApiWhere()
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
  @ApiProperty({ required: false, type: [String] })
  @Allow()
  readonly OnlyKeys?: unknown;

  /** Parses the body with the kernel's query parser; faults name their path (`Where.os.$gt`). */
  toQuery(): Query {
    const raw = Object.fromEntries(Object.entries(this).filter(([, v]) => v !== undefined));
    return parseQuery(raw, '');
  }
}
