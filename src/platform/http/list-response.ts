import { ApiOkResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Page } from '../../common/page';
import { encodeCursor } from './dto/page.query';

export const NEXT_CURSOR_HEADER = 'Willow-Next-Cursor';

/** Answers a listing as a bare JSON array, with `Willow-Next-Cursor` when more remain. */
export function sendPage<T, R>(res: Response, page: Page<T>, map: (item: T) => R): R[] {
  if (page.nextCursor !== null) res.setHeader(NEXT_CURSOR_HEADER, encodeCursor(page.nextCursor));
  return page.items.map(map);
}

/** Documents a listing's 200: a bare array of `type`, and the `Willow-Next-Cursor` header when more remain. */
export function ApiPageResponse(type: new () => object): MethodDecorator & ClassDecorator {
  return ApiOkResponse({
    type,
    isArray: true,
    description: 'One page, sorted; `[]` when empty.',
    headers: {
      [NEXT_CURSOR_HEADER]: {
        description: 'Present when more entries remain: pass it as `?Cursor=` to get the next page.',
        required: false,
        schema: { type: 'string' },
      },
    },
  });
}
