import type { Response } from 'express';
import type { Page } from '../../common/page';
import { encodeCursor } from './dto/page.query';

/** Answers a listing as a bare JSON array, with `Willow-Next-Cursor` when more remain. */
export function sendPage<T, R>(res: Response, page: Page<T>, map: (item: T) => R): R[] {
  if (page.nextCursor !== null) res.setHeader('Willow-Next-Cursor', encodeCursor(page.nextCursor));
  return page.items.map(map);
}
