/** Deepest JSON nesting a request may carry (DESIGN.md §2); deeper bodies get 400 `TOO_DEEP` before validation. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when objects and arrays in `value` nest more than `maxDepth` levels (`[]` and `{}` are depth 1, scalars 0).
 * Iterative, so hostile nesting cannot overflow the stack; stops at the first level too deep.
 */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  if (!isContainer(value)) return false;
  if (maxDepth < 1) return true;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    for (const child of Object.values(node)) {
      if (!isContainer(child)) continue;
      if (depth === maxDepth) return true;
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
