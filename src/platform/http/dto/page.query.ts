import { ApiProperty } from '@nestjs/swagger';
import { PAGE_LIMIT_MAX, parsePageRequest, type PageRequest } from '../../../common/page';
import { commandOf } from './dto-instance';

/** `?Limit=&Cursor=` of every listing; judged by `parsePageRequest`. */
export class PageQuery {
  static readonly parse = parsePageRequest;

  /** Most entries to return (default 1000, max 10000). */
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX })
  readonly Limit?: string;

  /** The `Willow-Next-Cursor` header of the previous page. */
  @ApiProperty({ required: false, maxLength: 4096 })
  readonly Cursor?: string;

  toPageRequest(): PageRequest {
    return commandOf(this, parsePageRequest);
  }
}

/** Cursors are opaque to clients: the listing's sort key, base64url-encoded (read back by `decodeCursor`). */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}
