import { ApiProperty } from '@nestjs/swagger';
import type { Tags } from '../../../common/tags';
import { ApiAnyJson, ApiKeyValues } from '../../../platform/http/dto/api-properties';
import type { ChannelInfo, DeadLetter, QueueInfo } from '../../willow.port';

export class QueueResponse {
  readonly Name!: string;
  /** Most waiting + processing items; -1 = unlimited. */
  readonly MaxItems!: number;
  /** A paused queue accepts enqueues, heartbeats and acks but hands out nothing. */
  readonly Paused!: boolean;
  /** Items waiting to be dequeued (the scheduled ones included). */
  readonly Waiting!: number;
  /** Waiting items not yet due: delayed, or retrying after a backoff. */
  readonly Scheduled!: number;
  /** Items handed out and not yet acked. */
  readonly Processing!: number;
  /** Channels holding waiting or processing items. */
  readonly Channels!: number;

  static from(q: QueueInfo): QueueResponse {
    return {
      Name: q.name,
      MaxItems: q.maxItems,
      Paused: q.paused,
      Waiting: q.waiting,
      Scheduled: q.scheduled,
      Processing: q.processing,
      Channels: q.channels,
    };
  }
}

export class BlockedByResponse {
  /** The rule whose limit refused the channel's next item. */
  readonly Rule!: string;
  /** The override that set the limit, when one did. */
  readonly Override?: string;
  readonly Limit!: number;
  /** The count when it refused. */
  readonly Count!: number;
}

export class ChannelResponse {
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  /** Waiting items (the scheduled ones included). */
  readonly Waiting!: number;
  readonly Processing!: number;
  /** Waiting items not yet due. While the first item in line is one of them, the channel hands out nothing. */
  readonly Scheduled!: number;
  /** The earliest due time among the scheduled items (ISO-8601); absent when none is scheduled. */
  readonly NextDueAt?: string;
  /** Present while the channel's next item is refused by the Limiter. */
  readonly BlockedBy?: BlockedByResponse;

  static from(c: ChannelInfo): ChannelResponse {
    const b = c.blockedBy;
    return {
      KeyValues: c.tags,
      Waiting: c.waiting,
      Processing: c.processing,
      Scheduled: c.scheduled,
      ...(c.nextDueAt !== null && { NextDueAt: c.nextDueAt }),
      ...(b && { BlockedBy: { Rule: b.rule, ...(b.override !== null && { Override: b.override }), Limit: b.limit, Count: b.count } }),
    };
  }
}

export class DeadLetterResponse {
  readonly ID!: string;
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  @ApiAnyJson({ description: 'The item\'s Data, as enqueued: any JSON value.', example: { commit: 'abc123' } })
  readonly Data!: unknown;
  /** Deliveries made. */
  readonly Attempts!: number;
  /** Why it died: "failed" (acked with Passed=false) or "lease expired". */
  readonly Reason!: string;
  /** When it became a dead letter (ISO-8601). */
  readonly DeadAt!: string;
  /** Why its last delivery failed: the failed ack's Error, or "lease expired"; null when the ack gave none. */
  @ApiProperty({ type: 'string', nullable: true })
  readonly LastError!: string | null;

  static from(d: DeadLetter): DeadLetterResponse {
    return { ID: d.id, KeyValues: d.tags, Data: d.data, Attempts: d.attempts, Reason: d.reason, DeadAt: d.deadAt, LastError: d.lastError };
  }
}

export class IdResponse {
  readonly ID!: string;
}
