import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { parseSafeInt } from '../../../common/names';
import { decodeCursor, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, type PageRequest } from '../../../common/page';
import { ParsedBy } from './parsed-by';

/** `?Limit=&Cursor=` of every listing. */
export class PageQuery {
  /** Most entries to return (default 1000, max 10000). */
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX })
  @ParsedBy((v, p) => parseLimit(v, p), { optional: true })
  readonly Limit?: string;

  /** The `Willow-Next-Cursor` header of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  readonly Cursor?: string;

  toPageRequest(): PageRequest {
    return {
      limit: this.Limit === undefined ? PAGE_LIMIT_DEFAULT : parseLimit(this.Limit, 'Limit'),
      cursor: this.Cursor ? decodeCursor(this.Cursor) : null,
    };
  }
}

function parseLimit(raw: unknown, path: string): number {
  const n = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
  return parseSafeInt(n, path, { min: 1, max: PAGE_LIMIT_MAX });
}

/** Cursors are opaque to clients: the listing's sort key, base64url-encoded (read back by `decodeCursor`). */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}
