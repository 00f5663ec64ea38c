import { ApiProperty } from '@nestjs/swagger';
import { ApiDuration } from '../../../platform/http/dto/api-properties';
import { QueryBody } from '../../../platform/http/dto/query.body';
import { DEQUEUE_COUNT_MAX } from '../../domain/validate';
import { parseDequeue, parseDequeueBatch } from '../../domain/validate-consumer';
import type { DequeueCommand } from '../../willow.port';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseDequeue`. */
export class DequeueBody {
  static readonly parse: (raw: unknown, path: string) => Omit<DequeueCommand, 'queue'> = parseDequeue;

  /** Which channels to take from: `{Where, MinKeys, MaxKeys, OnlyKeys}`; absent = any. */
  @ApiProperty({ required: false, type: () => QueryBody, example: { Where: { os: 'linux' } } })
  readonly Query?: unknown;

  /** How long to wait for an item: milliseconds or "30s" (0 to 10m). Default 30s. */
  @ApiDuration({ example: '30s' })
  readonly Wait?: number | string;

  toCommand(queue: string): DequeueCommand {
    return { queue, ...commandOf(this, (this.constructor as typeof DequeueBody).parse) };
  }
}

/** Judged by `parseDequeueBatch`. */
export class DequeueBatchBody extends DequeueBody {
  static override readonly parse = parseDequeueBatch;

  /** Most items to hand out at once (1-100). */
  @ApiProperty({ type: 'integer', minimum: 1, maximum: DEQUEUE_COUNT_MAX })
  readonly Count!: number;
}
