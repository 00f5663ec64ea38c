import { InvalidInputError } from './errors';

/** A place in the walked value: its parent's place and its key there, so a path is built only for a fault. */
interface Place {
  readonly parent: Place | null;
  readonly key: string | number;
}

/**
 * The one walk over a request body, before any validation (DESIGN.md §2). `'too-deep'` when objects and arrays nest
 * more than `maxDepth` levels (`[]` and `{}` are one level, scalars none): it wins over any other fault. Otherwise
 * the first value Willow could not store as sent, as INVALID_INPUT naming its path (`Data.a[2]`,
 * `KeyValues.__proto__`): a `__proto__` key, which plain assignment would drop or turn into a prototype, or a number
 * JSON cannot hold (`1e400` parses to Infinity and would be written back as `null`). Null when the body is fine.
 * Iterative, so hostile nesting cannot overflow the stack; stops at the first level too deep.
 */
export function findJsonFault(value: unknown, maxDepth: number): 'too-deep' | InvalidInputError | null {
  let fault: InvalidInputError | null = null;
  const nodes: unknown[] = [value];
  const depths: number[] = [0];
  const places: Array<Place | null> = [null];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop() as number;
    const place = places.pop() as Place | null;
    if (typeof node === 'number') {
      fault ??= Number.isFinite(node) ? null : new InvalidInputError(pathOf(place), NON_FINITE);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth === maxDepth) return 'too-deep';
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      const child = (node as Record<string | number, unknown>)[key];
      if (key === '__proto__') fault ??= new InvalidInputError(pathOf({ parent: place, key }), '"__proto__" cannot be used as a key; rename it');
      if (typeof child === 'object' ? child === null : typeof child !== 'number' || Number.isFinite(child)) continue;
      nodes.push(child);
      depths.push(depth + 1);
      places.push({ parent: place, key });
    }
  }
  return fault;
}

const NON_FINITE = 'is a number too large for JSON (it overflows a 64-bit float); send it as a string';

function pathOf(place: Place | null): string {
  const keys: Array<string | number> = [];
  for (let p = place; p; p = p.parent) keys.push(p.key);
  return keys.reverse().reduce<string>((path, key) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key), '');
}
