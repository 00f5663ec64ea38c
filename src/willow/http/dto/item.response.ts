import type { Tags } from '../../../common/tags';
import { ApiAnyJson, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import type { AckOutcome, Delivery, EnqueueResult } from '../../willow.port';

export class EnqueueResponse {
  readonly ID!: string;
  /** True: replaced the channel's updateable last waiting item in place (200). False: appended (201). */
  readonly Collapsed!: boolean;

  static from(r: EnqueueResult): EnqueueResponse {
    return { ID: r.id, Collapsed: r.collapsed };
  }
}

export class EnqueueBatchResponse {
  /** One result per item, in order. */
  readonly Results!: EnqueueResponse[];
}

export class DeliveryResponse {
  readonly ID!: string;
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  @ApiAnyJson({ description: 'The item\'s Data, as enqueued: any JSON value.', example: { commit: 'abc123' } })
  readonly Data!: unknown;
  /** 1 on the first delivery, rising with every re-delivery; pass it to heartbeat and ack. */
  readonly Attempt!: number;
  /** Lease length in milliseconds. */
  readonly Timeout!: number;
  /** When the lease runs out unless renewed by a heartbeat (ISO-8601). */
  readonly ExpiresAt!: string;

  /**
   * The JSON of a DeliveryResponse, written directly: Data and KeyValues are embedded as the JSON texts they are
   * stored as, not parsed into objects for the answer to encode them again (about 1.7 us less per item handed out).
   */
  static json(d: Delivery): string {
    return `{"ID":${JSON.stringify(d.id)},"KeyValues":${d.tagsJson},"Data":${d.dataJson},"Attempt":${d.attempt},"Timeout":${d.timeoutMs},"ExpiresAt":${JSON.stringify(d.expiresAt)}}`;
  }
}

export class DequeueBatchResponse {
  readonly Items!: DeliveryResponse[];

  /** The JSON of a DequeueBatchResponse (DeliveryResponse.json for each item). */
  static json(deliveries: readonly Delivery[]): string {
    return `{"Items":[${deliveries.map(DeliveryResponse.json).join(',')}]}`;
  }
}

export class AckResultResponse {
  readonly ID!: string;
  /** 200 accepted, 404 ITEM_NOT_FOUND, 409 LEASE_LOST. */
  readonly Status!: number;
  readonly Code?: string;
  readonly Message?: string;

  static from(o: AckOutcome): AckResultResponse {
    if (o.ok) return { ID: o.id, Status: 200 };
    return { ID: o.id, Status: o.code === 'LEASE_LOST' ? 409 : 404, Code: o.code, Message: o.message };
  }
}

export class AckBatchResponse {
  readonly Results!: AckResultResponse[];
}

export class ExpiresAtResponse {
  /** When the renewed lease runs out (ISO-8601). */
  readonly ExpiresAt!: string;
}
