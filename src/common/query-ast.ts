import type { TagValue } from './tags';

export type CmpOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte';

/**
 * A parsed, normalised Where (DESIGN.md §4). `and` with no parts is "true". Plain data (JSON-safe), so a Query
 * crosses a port or a transport as it is.
 */
export type Where =
  | { readonly kind: 'and'; readonly parts: readonly Where[] }
  | { readonly kind: 'or'; readonly parts: readonly Where[] }
  | { readonly kind: 'not'; readonly part: Where }
  | { readonly kind: 'cmp'; readonly key: string; readonly op: CmpOp; readonly value: TagValue }
  | { readonly kind: 'in'; readonly key: string; readonly values: readonly TagValue[]; readonly negate: boolean }
  | { readonly kind: 'exists'; readonly key: string; readonly exists: boolean };

/** The camelCase form of the wire Query `{Where, MinKeys, MaxKeys, OnlyKeys}`; `{}` selects everything. */
export interface Query {
  readonly where?: Where;
  readonly minKeys?: number;
  readonly maxKeys?: number;
  readonly onlyKeys?: readonly string[];
}
