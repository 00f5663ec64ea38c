import { ApiProperty } from '@nestjs/swagger';
import type { Tags } from '../../../common/tags';
import { ApiAnyJson, ApiDuration, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { BATCH_MAX, parseEnqueue, parseEnqueueBatch, RETRY_ATTEMPTS_MAX } from '../../domain/validate';
import type { NewItem, RetryBackoff, RetryPosition } from '../../willow.port';
import { PRIORITY_BOUNDS, RETRY_BACKOFFS } from '../../domain/schedule';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseEnqueue` (the validation pipe calls `parse`; `toCommand` reads the same values). */
export class EnqueueBody {
  static readonly parse = parseEnqueue;

  /** The item's channel: its exact tag set (1-64 keys; no key starting with `_` or `$`). */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  /** Any JSON value (binary: a base64 string); at most 1 MiB as JSON by default. */
  @ApiAnyJson({
    description: 'Any JSON value: string, number, boolean, null, object or array (binary: a base64 string); at most 1 MiB as JSON by default.',
    example: { commit: 'abc123' },
  })
  readonly Data!: unknown;

  /** Whether a later item of the same channel may replace this one while it waits. Default true. */
  readonly Updateable?: boolean;

  /** Re-deliveries after a failure or an expired lease before the item becomes a dead letter. Default 0. */
  @ApiProperty({ required: false, type: 'integer', minimum: 0, maximum: RETRY_ATTEMPTS_MAX })
  readonly RetryAttempts?: number;

  /** Where a retried item goes back in its channel. Default "front". */
  readonly RetryPosition?: RetryPosition;

  /** Lease of each delivery: milliseconds or "60s" (100ms to 24h). Default 60s. */
  @ApiDuration({ example: '60s' })
  readonly Timeout?: number | string;

  /** Higher is handed out first: orders the channel's line, then the choice among channels. -100..100, default 0. A
   * collapse takes the new Priority. */
  @ApiProperty({ required: false, type: 'integer', minimum: PRIORITY_BOUNDS.min, maximum: PRIORITY_BOUNDS.max, example: 0 })
  readonly Priority?: number;

  /** Not handed out before this long after the enqueue: milliseconds or "10m" (0 to 30d). Not with NotBefore. The
   * item takes its place in line at once; a collapse keeps the stored item's due time. */
  @ApiDuration({ example: '10m' })
  readonly Delay?: number | string;

  /** Not handed out before this time (ISO-8601 with a zone, at most 30 days ahead). Not with Delay. */
  @ApiProperty({ required: false, type: 'string', format: 'date-time', example: '2026-12-24T18:00:00Z' })
  readonly NotBefore?: string;

  /** Wait before each re-delivery after a failure or an expired lease: milliseconds or "30s" (0 to 24h). Default 0. */
  @ApiDuration({ example: '30s' })
  readonly RetryDelay?: number | string;

  /** `fixed`: every retry waits RetryDelay; `exponential`: re-delivery n waits RetryDelay × 2^(n−1), at most 24h.
   * Default fixed. */
  @ApiProperty({ required: false, enum: RETRY_BACKOFFS })
  readonly RetryBackoff?: RetryBackoff;

  toCommand(): NewItem {
    return commandOf(this, parseEnqueue);
  }
}

/** Judged by `parseEnqueueBatch`: every item as a single enqueue, faults naming the index (`Items[3].KeyValues.os`). */
export class EnqueueBatchBody {
  static readonly parse = parseEnqueueBatch;

  /** 1-1000 items, enqueued in order in one transaction (all or nothing). */
  @ApiProperty({ type: [EnqueueBody], minItems: 1, maxItems: BATCH_MAX })
  readonly Items!: unknown;

  toCommand(): NewItem[] {
    return commandOf(this, parseEnqueueBatch);
  }
}
