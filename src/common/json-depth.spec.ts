import { MAX_JSON_DEPTH } from './json-depth';
import { findJsonFault } from './json-input';

const jsonDepthExceeds = (value: unknown, maxDepth: number) => findJsonFault(value, maxDepth) === 'too-deep';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

describe('findJsonFault: depth', () => {
  it('counts scalars as depth 0 and each object or array as one level', () => {
    expect(jsonDepthExceeds('x', 0)).toBe(false);
    expect(jsonDepthExceeds(null, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: [1, { b: 2 }] }, 2)).toBe(true);
  });

  it('allows exactly MAX_JSON_DEPTH levels and refuses one more', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('finds the deep branch among wide shallow ones', () => {
    const wide = { many: Array.from({ length: 1_000 }, (_, i) => ({ i })), deep: nested(10) };
    expect(jsonDepthExceeds(wide, 10)).toBe(true);
    expect(jsonDepthExceeds(wide, 11)).toBe(false);
  });

  it('handles nesting far beyond the call stack without overflowing', () => {
    expect(jsonDepthExceeds(nested(200_000), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(nested(200_000), 1_000_000)).toBe(false);
  });

  it('terminates on cyclic objects', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonDepthExceeds(cycle, MAX_JSON_DEPTH)).toBe(true);
  });
});
