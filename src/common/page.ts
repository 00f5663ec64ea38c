/** One page of a deterministic listing; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** `?Limit=&Cursor=` after parsing: at most `limit` entries strictly after `cursor` in the listing's order. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor: string | null;
}

export const PAGE_LIMIT_DEFAULT = 1_000;
export const PAGE_LIMIT_MAX = 10_000;
