import { ApiProperty } from '@nestjs/swagger';
import { parseDuration } from '../../../common/duration';
import { parseSafeInt } from '../../../common/names';
import { MATCH_ALL, parseQuery, type Query } from '../../../common/query';
import { ApiDuration } from '../../../platform/http/dto/api-properties';
import { QueryBody } from '../../../platform/http/dto/query.body';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import { DEQUEUE_COUNT_MAX, DEQUEUE_WAIT_DEFAULT_MS, WAIT_BOUNDS } from '../../domain/validate';

const count = (v: unknown, p: string) => parseSafeInt(v, p, { min: 1, max: DEQUEUE_COUNT_MAX });

export class DequeueBody {
  /** Which channels to take from: `{Where, MinKeys, MaxKeys, OnlyKeys}`; absent = any. */
  @ApiProperty({ required: false, type: () => QueryBody, example: { Where: { os: 'linux' } } })
  @ParsedBy((v, p) => parseQuery(v, p), { optional: true })
  readonly Query?: unknown;

  /** How long to wait for an item: milliseconds or "30s" (0 to 10m). Default 30s. */
  @ApiDuration({ example: '30s' })
  @ParsedBy((v, p) => parseDuration(v, p, WAIT_BOUNDS), { optional: true })
  readonly Wait?: number | string;

  query(): Query {
    return this.Query === undefined ? MATCH_ALL : parseQuery(this.Query, 'Query');
  }

  waitMs(): number {
    return this.Wait === undefined ? DEQUEUE_WAIT_DEFAULT_MS : parseDuration(this.Wait, 'Wait', WAIT_BOUNDS);
  }
}

export class DequeueBatchBody extends DequeueBody {
  /** Most items to hand out at once (1-100). */
  @ApiProperty({ type: 'integer', minimum: 1, maximum: DEQUEUE_COUNT_MAX })
  @ParsedBy(count)
  readonly Count!: number;
}
