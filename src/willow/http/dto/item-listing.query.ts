import { ApiProperty } from '@nestjs/swagger';
import { PAGE_LIMIT_MAX } from '../../../common/page';
import { ITEM_STATES, parseItemListing } from '../../domain/validate-items';
import type { ItemStateName, ListItemsCommand } from '../../willow.port';
import type { Query } from '../../../common/query';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** `?State=&Limit=&Cursor=` of the item listing; judged by `parseItemListing`. */
export class ItemListingQuery {
  static readonly parse = parseItemListing;

  /** Only items in this state (`waiting` means due now; `scheduled` not yet due); all when absent. */
  @ApiProperty({ required: false, enum: ITEM_STATES })
  readonly State?: ItemStateName;

  /** Most entries to return (default 1000, max 10000). */
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX })
  readonly Limit?: string;

  /** The `Willow-Next-Cursor` header of the previous page. */
  @ApiProperty({ required: false, maxLength: 4096 })
  readonly Cursor?: string;

  toCommand(queue: string, query: Query): ListItemsCommand {
    return { queue, query, ...commandOf(this, parseItemListing) };
  }
}
