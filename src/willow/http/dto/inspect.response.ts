import { ApiProperty } from '@nestjs/swagger';
import type { Tags } from '../../../common/tags';
import { ApiAnyJson, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import type { ItemInfo, ItemStateName } from '../../willow.port';
import { ITEM_STATES } from '../../domain/validate-items';

/** An item of the item listing: what inspecting it answers, without Data. */
export class ItemSummaryResponse {
  readonly ID!: string;
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  /** `scheduled`: waiting, but not handed out before `NotBefore` (a delay, or a retry's backoff). */
  @ApiProperty({ enum: ITEM_STATES })
  readonly State!: ItemStateName;
  /** -100..100: higher is handed out first, within its channel and among channels. */
  @ApiProperty({ type: 'integer', minimum: -100, maximum: 100 })
  readonly Priority!: number;
  /** While scheduled: when it becomes due (ISO-8601). */
  readonly NotBefore?: string;
  /** Deliveries so far (0 until first handed out). */
  readonly Attempt!: number;
  /** Waiting items ahead of it in its channel's line (0: it is handed out next from its channel). Absent while
   * processing, and in listings. */
  readonly Position?: number;
  /** When it was enqueued (ISO-8601); a collapse keeps it. Absent for items stored before this was recorded. */
  readonly EnqueuedAt?: string;
  /** While processing: when its lease runs out unless renewed (ISO-8601). */
  readonly ExpiresAt?: string;
  /** Why its last delivery failed: the failed ack's `Error`, or "lease expired". Absent when none failed or said. */
  readonly LastError?: string;

  static from(i: ItemInfo): ItemSummaryResponse {
    return {
      ID: i.id,
      KeyValues: i.tags,
      State: i.state,
      Priority: i.priority,
      ...(i.notBefore !== null && { NotBefore: i.notBefore }),
      Attempt: i.attempt,
      ...(i.position !== null && { Position: i.position }),
      ...(i.enqueuedAt !== null && { EnqueuedAt: i.enqueuedAt }),
      ...(i.expiresAt !== null && { ExpiresAt: i.expiresAt }),
      ...(i.lastError !== null && { LastError: i.lastError }),
    };
  }
}

/** A waiting or processing item, as `GET /v1/queues/{Name}/items/{ID}` answers it. */
export class ItemResponse extends ItemSummaryResponse {
  @ApiAnyJson({ description: "The item's Data, as enqueued (or as the last collapse left it): any JSON value.", example: { commit: 'abc123' } })
  readonly Data!: unknown;

  static override from(i: ItemInfo): ItemResponse {
    return { ...ItemSummaryResponse.from(i), Data: i.data };
  }
}
