import { ApiProperty } from '@nestjs/swagger';
import { MAX_ITEMS_MAX, parseCreateQueue, parseUpdateQueue } from '../../domain/validate';
import type { QueueUpdate } from '../../willow.port';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseCreateQueue`. */
export class CreateQueueBody {
  static readonly parse = parseCreateQueue;

  /** 1-128 characters, no control characters and no `/`. */
  @ApiProperty({ example: 'builds' })
  readonly Name!: string;

  /** Most waiting + processing items; -1 = unlimited (default). */
  @ApiProperty({ required: false, type: 'integer', minimum: -1, maximum: MAX_ITEMS_MAX })
  readonly MaxItems?: number;

  toCommand(): { name: string; maxItems: number } {
    return commandOf(this, parseCreateQueue);
  }
}

/** Judged by `parseUpdateQueue`: MaxItems, Paused or both; an absent field keeps its value. */
export class UpdateQueueBody {
  static readonly parse = parseUpdateQueue;

  /** Most waiting + processing items; -1 = unlimited. Lowering it evicts nothing. Absent: unchanged. */
  @ApiProperty({ required: false, type: 'integer', minimum: -1, maximum: MAX_ITEMS_MAX })
  readonly MaxItems?: number;

  /** True: hand out nothing (enqueues, heartbeats and acks go on; waiting dequeues keep waiting). False: resume and serve waiting dequeues at once. Absent: unchanged. */
  readonly Paused?: boolean;

  toCommand(name: string): QueueUpdate {
    return { name, ...commandOf(this, parseUpdateQueue) };
  }
}
