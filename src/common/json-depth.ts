/** Deepest JSON nesting a request may carry (DESIGN.md §2); deeper bodies get 400 `TOO_DEEP` before validation. */
export const MAX_JSON_DEPTH = 64;
