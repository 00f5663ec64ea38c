import { ApiProperty } from '@nestjs/swagger';
import { MAX_ITEMS_MAX, parseCreateQueue, parseUpdateQueue } from '../../domain/validate';

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
    return parseCreateQueue({ ...this }, '');
  }
}

/** Judged by `parseUpdateQueue`. */
export class UpdateQueueBody {
  static readonly parse = parseUpdateQueue;

  /** Most waiting + processing items; -1 = unlimited. Lowering it evicts nothing. */
  @ApiProperty({ type: 'integer', minimum: -1, maximum: MAX_ITEMS_MAX })
  readonly MaxItems!: number;

  toCommand(name: string): { name: string; maxItems: number } {
    return { name, ...parseUpdateQueue({ ...this }, '') };
  }
}
