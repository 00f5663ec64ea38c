import { ApiProperty } from '@nestjs/swagger';
import { parseName, parseSafeInt } from '../../../common/names';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import { MAX_ITEMS_MAX } from '../../domain/validate';

const maxItems = (v: unknown, p: string) => parseSafeInt(v, p, { min: -1, max: MAX_ITEMS_MAX });

export class CreateQueueBody {
  /** 1-128 characters, no control characters and no `/`. */
  @ApiProperty({ example: 'builds' })
  @ParsedBy((v, p) => parseName(v, p))
  readonly Name!: string;

  /** Most waiting + processing items; -1 = unlimited (default). */
  @ApiProperty({ required: false, type: 'integer', minimum: -1, maximum: MAX_ITEMS_MAX })
  @ParsedBy(maxItems, { optional: true })
  readonly MaxItems?: number;
}

export class UpdateQueueBody {
  /** Most waiting + processing items; -1 = unlimited. Lowering it evicts nothing. */
  @ApiProperty({ type: 'integer', minimum: -1, maximum: MAX_ITEMS_MAX })
  @ParsedBy(maxItems)
  readonly MaxItems!: number;
}
