import { ApiProperty } from '@nestjs/swagger';
import { Allow, IsBoolean, IsIn, IsOptional } from 'class-validator';
import { parseDuration } from '../../../common/duration';
import { InvalidInputError } from '../../../common/errors';
import { parseSafeInt } from '../../../common/names';
import { parseTags, type Tags } from '../../../common/tags';
import { ApiAnyJson, ApiDuration, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import { BATCH_MAX, ITEM_TIMEOUT_DEFAULT_MS, LEASE_BOUNDS, RETRY_ATTEMPTS_MAX } from '../../domain/validate';
import type { NewItem, RetryPosition } from '../../willow.port';
import { parseEnqueueItems } from './enqueue-items';

const retryAttempts = (v: unknown, p: string) => parseSafeInt(v, p, { min: 0, max: RETRY_ATTEMPTS_MAX });
const requireData = (v: unknown, p: string) => {
  if (v === undefined) throw new InvalidInputError(p, 'is required; send any JSON value (binary as a base64 string)');
};

export class EnqueueBody {
  /** The item's channel: its exact tag set (1-64 keys; no key starting with `_` or `$`). */
  @ApiKeyValues()
  @ParsedBy((v, p) => parseTags(v, p))
  readonly KeyValues!: Tags;

  /** Any JSON value (binary: a base64 string); at most 1 MiB as JSON by default. */
  @ApiAnyJson({
    description: 'Any JSON value: string, number, boolean, null, object or array (binary: a base64 string); at most 1 MiB as JSON by default.',
    example: { commit: 'abc123' },
  })
  @ParsedBy(requireData)
  readonly Data!: unknown;

  /** Whether a later item of the same channel may replace this one while it waits. Default true. */
  @IsOptional()
  @IsBoolean()
  readonly Updateable?: boolean;

  /** Re-deliveries after a failure or an expired lease before the item becomes a dead letter. Default 0. */
  @ApiProperty({ required: false, type: 'integer', minimum: 0, maximum: RETRY_ATTEMPTS_MAX })
  @ParsedBy(retryAttempts, { optional: true })
  readonly RetryAttempts?: number;

  /** Where a retried item goes back in its channel. Default "front". */
  @IsOptional()
  @IsIn(['front', 'back'])
  readonly RetryPosition?: RetryPosition;

  /** Lease of each delivery: milliseconds or "60s" (100ms to 24h). Default 60s. */
  @ApiDuration({ example: '60s' })
  @ParsedBy((v, p) => parseDuration(v, p, LEASE_BOUNDS), { optional: true })
  readonly Timeout?: number | string;

  toItem(): NewItem {
    return {
      tags: this.KeyValues,
      data: this.Data,
      updateable: this.Updateable ?? true,
      retryAttempts: this.RetryAttempts ?? 0,
      retryPosition: this.RetryPosition ?? 'front',
      timeoutMs: this.Timeout === undefined ? ITEM_TIMEOUT_DEFAULT_MS : parseDuration(this.Timeout, 'Timeout', LEASE_BOUNDS),
    };
  }
}

export class EnqueueBatchBody {
  /** 1-1000 items, enqueued in order in one transaction (all or nothing). */
  @ApiProperty({ type: [EnqueueBody], minItems: 1, maxItems: BATCH_MAX })
  @Allow()
  readonly Items!: unknown;

  /** The parsed items; a fault names its index (`Items[3].KeyValues.os`). */
  toItems(): NewItem[] {
    return parseEnqueueItems(this.Items, 'Items');
  }
}
