import { optional, parseOneOf, readFields } from '../../common/fields';
import { fieldPath } from '../../common/names';
import { parsePageRequest, type PageRequest } from '../../common/page';
import type { ItemStateName } from '../willow.port';

export const ITEM_STATES: readonly ItemStateName[] = ['waiting', 'scheduled', 'processing'];

/** `?State=waiting|scheduled|processing&Limit=&Cursor=` of the item listing; no State lists all three. */
export function parseItemListing(raw: unknown, path: string): { state: ItemStateName | null; page: PageRequest } {
  const f = readFields(raw, path, ['State', 'Limit', 'Cursor']);
  return { state: parseItemState(f.State, fieldPath(path, 'State')), page: parsePageRequest({ Limit: f.Limit, Cursor: f.Cursor }, path) };
}

/** An item listing's State filter: absent (null) or one of ITEM_STATES. */
export function parseItemState(raw: unknown, path: string): ItemStateName | null {
  return optional<ItemStateName | null>(raw, null, (v) => parseOneOf(v, path, ITEM_STATES));
}

