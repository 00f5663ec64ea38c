import { InvalidInputError } from './errors';

/**
 * Refuses what JSON.parse accepts but Willow could not store as sent (DESIGN.md §2): a `__proto__` key, which
 * plain assignment would drop or turn into a prototype, and a number JSON cannot hold (`1e400` parses to Infinity
 * and would be written back as `null`). Throws INVALID_INPUT naming the path (`Data.a[2]`, `KeyValues.__proto__`);
 * iterative, so any nesting the depth guard let through is walked without recursion.
 */
export function assertStorableJson(value: unknown, rootPath = ''): void {
  const nodes: unknown[] = [value];
  const paths: string[] = [rootPath];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const path = paths.pop() as string;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw new InvalidInputError(path, 'is a number too large for JSON (it overflows a 64-bit float); send it as a string');
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) pushIfNeeded(nodes, paths, node[i], `${path}[${i}]`);
      continue;
    }
    for (const key of Object.keys(node)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '__proto__') throw new InvalidInputError(at, '"__proto__" cannot be used as a key; rename it');
      pushIfNeeded(nodes, paths, (node as Record<string, unknown>)[key], at);
    }
  }
}

function pushIfNeeded(nodes: unknown[], paths: string[], child: unknown, path: string): void {
  if (typeof child === 'number' ? !Number.isFinite(child) : typeof child === 'object' && child !== null) {
    nodes.push(child);
    paths.push(path);
  }
}
