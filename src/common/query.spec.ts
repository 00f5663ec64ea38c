import fc from 'fast-check';
import { MATCH_ALL, matches, parseQuery, type Query } from './query';
import type { TagValue, Tags } from './tags';

type WireWhere = Record<string, unknown>;

const q = (where: WireWhere, rest: object = {}): Query => parseQuery({ Where: where, ...rest });
const KEYS = ['a', 'b', 'c'];
const value = fc.constantFrom<TagValue>('1', 1, 'true', true, 0, 'x');
const orderable = fc.constantFrom<TagValue>('1', 1, 'true', 0, 'x');
const singleOp = fc.oneof(
  value.map(($eq) => ({ $eq })),
  value.map(($ne) => ({ $ne })),
  fc.constantFrom('$lt', '$lte', '$gt', '$gte').chain((op) => orderable.map((v) => ({ [op]: v }))),
  fc.array(value, { maxLength: 3 }).map(($in) => ({ $in })),
  fc.array(value, { maxLength: 3 }).map(($nin) => ({ $nin })),
  fc.boolean().map(($exists) => ({ $exists })),
);
// Mostly one operator per key: piling up ANDed operators would make almost every query match nothing.
const ops = fc.oneof({ arbitrary: singleOp, weight: 3 }, fc.tuple(singleOp, singleOp).map(([x, y]) => ({ ...x, ...y })));
const conditions = fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(value, ops), { maxKeys: 2 });

function whereOf(depth: number): fc.Arbitrary<WireWhere> {
  if (depth === 0) return conditions;
  const sub = whereOf(depth - 1);
  const branches = fc.array(sub, { minLength: 1, maxLength: 3 });
  const logic = fc.oneof(
    branches.map(($or) => ({ $or })),
    branches.map(($and) => ({ $and })),
    sub.map(($not) => ({ $not })),
  );
  return fc.oneof(conditions, logic, fc.tuple(conditions, logic).map(([own, more]) => ({ ...own, ...more })));
}
const where = whereOf(3);
const tags = fc.dictionary(fc.constantFrom(...KEYS, 'd'), value, { maxKeys: 3 });

/** DESIGN.md §4 read literally over the wire form: the oracle `matches` must agree with. */
function oracle(w: WireWhere, t: Tags): boolean {
  return Object.entries(w).every(([key, cond]) => {
    if (key === '$or') return (cond as WireWhere[]).some((b) => oracle(b, t));
    if (key === '$and') return (cond as WireWhere[]).every((b) => oracle(b, t));
    if (key === '$not') return !oracle(cond as WireWhere, t);
    const has = Object.hasOwn(t, key);
    const v = t[key];
    if (typeof cond !== 'object') return has && v === cond;
    return Object.entries(cond as WireWhere).every(([op, x]) => {
      if (op === '$eq') return has && v === x;
      if (op === '$ne') return !has || v !== x;
      if (op === '$in') return has && (x as TagValue[]).includes(v);
      if (op === '$nin') return !has || !(x as TagValue[]).includes(v);
      if (op === '$exists') return has === x;
      if (!has || typeof v !== typeof x || typeof v === 'boolean') return false;
      const order = v < (x as TagValue) ? -1 : v > (x as TagValue) ? 1 : 0;
      return { $lt: order < 0, $lte: order <= 0, $gt: order > 0, $gte: order >= 0 }[op] as boolean;
    });
  });
}

function reverseKeys(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(reverseKeys);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

describe('matches', () => {
  const linux: Tags = { os: 'linux', cores: 8, gpu: true };

  it('matches everything with MATCH_ALL', () => {
    fc.assert(fc.property(tags, (t) => matches(MATCH_ALL, t)));
  });

  it('reads a bare value as typed equality', () => {
    expect(matches(q({ os: 'linux' }), linux)).toBe(true);
    expect(matches(q({ os: 'macos' }), linux)).toBe(false);
    expect(matches(q({ cores: '8' }), linux)).toBe(false);
    expect(matches(q({ gpu: 'true' }), linux)).toBe(false);
    expect(matches(q({ missing: 'x' }), linux)).toBe(false);
  });

  it('ANDs the conditions of one object', () => {
    expect(matches(q({ os: 'linux', cores: 8 }), linux)).toBe(true);
    expect(matches(q({ os: 'linux', cores: 4 }), linux)).toBe(false);
  });

  it('lets $ne and $nin match tag sets without the key', () => {
    expect(matches(q({ arch: { $ne: 'arm' } }), linux)).toBe(true);
    expect(matches(q({ arch: { $nin: ['arm'] } }), linux)).toBe(true);
    expect(matches(q({ os: { $ne: 'linux' } }), linux)).toBe(false);
    expect(matches(q({ os: { $nin: ['macos', 'linux'] } }), linux)).toBe(false);
  });

  it('needs the key for $eq, $in and the range operators', () => {
    for (const cond of [{ $eq: 1 }, { $in: [1] }, { $lt: 9 }, { $lte: 9 }, { $gt: 0 }, { $gte: 0 }]) {
      expect(matches(q({ arch: cond }), linux)).toBe(false);
    }
  });

  it('never matches an empty $in, and $nin: [] matches everything', () => {
    expect(matches(q({ os: { $in: [] } }), linux)).toBe(false);
    expect(matches(q({ os: { $nin: [] } }), linux)).toBe(true);
  });

  it('compares numbers with numbers and strings with strings by code point, never across types', () => {
    expect(matches(q({ cores: { $gt: 4, $lte: 8 } }), linux)).toBe(true);
    expect(matches(q({ cores: { $lt: 8 } }), linux)).toBe(false);
    expect(matches(q({ cores: { $gt: '10' } }), linux)).toBe(false);
    expect(matches(q({ cores: { $lt: '10' } }), linux)).toBe(false);
    expect(matches(q({ os: { $gte: 'linux', $lt: 'm' } }), linux)).toBe(true);
    expect(matches(q({ os: { $lt: 'Z' } }), linux)).toBe(false);
    expect(matches(q({ v: { $lt: '\u{1F600}' } }), { v: '\uFF01' })).toBe(true);
  });

  it.each([
    ['$lt', false],
    ['$lte', true],
    ['$gt', false],
    ['$gte', true],
  ])('treats the boundary value of %s as matching: %s', (op, expected) => {
    expect(matches(q({ cores: { [op]: 8 } }), linux)).toBe(expected);
    expect(matches(q({ os: { [op]: 'linux' } }), linux)).toBe(expected);
  });

  it('never orders booleans, even in a hand-built query', () => {
    const query: Query = { where: { kind: 'cmp', key: 'gpu', op: 'gte', value: true } };
    expect(matches(query, linux)).toBe(false);
  });

  it('selects by key presence with $exists', () => {
    expect(matches(q({ gpu: { $exists: true } }), linux)).toBe(true);
    expect(matches(q({ arch: { $exists: false } }), linux)).toBe(true);
    expect(matches(q({ gpu: { $exists: false } }), linux)).toBe(false);
  });

  it('combines $or, $and and $not', () => {
    expect(matches(q({ $or: [{ os: 'macos' }, { cores: { $gte: 8 } }] }), linux)).toBe(true);
    expect(matches(q({ $and: [{ os: 'linux' }, { gpu: false }] }), linux)).toBe(false);
    expect(matches(q({ $not: { os: 'linux' } }), linux)).toBe(false);
    expect(matches(q({ $not: {} }), linux)).toBe(false);
  });

  it('never takes inherited names for tags', () => {
    expect(matches(q({ constructor: { $exists: true } }), linux)).toBe(false);
    expect(matches(q({ toString: { $ne: 'x' } }), linux)).toBe(true);
  });

  it('bounds the key count with MinKeys and MaxKeys, and the key set with OnlyKeys', () => {
    expect(matches(parseQuery({ MinKeys: 3, MaxKeys: 3 }), linux)).toBe(true);
    expect(matches(parseQuery({ MinKeys: 4 }), linux)).toBe(false);
    expect(matches(parseQuery({ MaxKeys: 2 }), linux)).toBe(false);
    expect(matches(parseQuery({ OnlyKeys: ['os', 'cores', 'gpu', 'arch'] }), linux)).toBe(true);
    expect(matches(parseQuery({ OnlyKeys: ['os', 'cores'] }), linux)).toBe(false);
  });

  describe('properties', () => {
    it('agrees with a literal reading of the query language', () => {
      fc.assert(fc.property(where, tags, (w, t) => matches(q(w), t) === oracle(w, t)));
    });

    it('agrees with a literal reading on single conditions, where each operator decides the outcome', () => {
      fc.assert(fc.property(conditions, tags, (w, t) => matches(q(w), t) === oracle(w, t)));
    });

    it('makes {$not: W} match exactly when W does not', () => {
      fc.assert(fc.property(where, tags, (w, t) => matches(q({ $not: w }), t) === !matches(q(w), t)));
    });

    it('never depends on key order in the query or the tags', () => {
      fc.assert(
        fc.property(where, tags, (w, t) => {
          const flipped = reverseKeys(t) as Tags;
          return matches(q(reverseKeys(w) as WireWhere), flipped) === matches(q(w), t);
        }),
      );
    });

    it('lets $ne and $nin match every tag set that lacks the key', () => {
      fc.assert(
        fc.property(value, fc.array(value), tags, (v, vs, t) => {
          return matches(q({ z: { $ne: v } }), t) && matches(q({ z: { $nin: vs } }), t);
        }),
      );
    });

    it('keeps strings apart from numbers and booleans with the same text', () => {
      const scalar = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
      fc.assert(
        fc.property(scalar, (v) => {
          const asTag = { k: v };
          const asText = { k: String(v) };
          return !matches(q({ k: String(v) }), asTag) && !matches(q({ k: v }), asText) && matches(q({ k: v }), asTag);
        }),
      );
    });

    it('admits by OnlyKeys exactly the tag sets whose keys all appear in the list', () => {
      const list = fc.uniqueArray(fc.constantFrom(...KEYS, 'd', 'e'), { maxLength: 5 });
      fc.assert(
        fc.property(list, tags, (only, t) => {
          return matches(parseQuery({ OnlyKeys: only }), t) === Object.keys(t).every((k) => only.includes(k));
        }),
      );
    });

    it('admits by MinKeys and MaxKeys exactly the tag sets with a key count in range', () => {
      const bound = fc.option(fc.nat(5), { nil: undefined });
      fc.assert(
        fc.property(bound, bound, tags, (lo, hi, t) => {
          fc.pre(lo === undefined || hi === undefined || lo <= hi);
          const n = Object.keys(t).length;
          const expected = (lo === undefined || n >= lo) && (hi === undefined || n <= hi);
          return matches(parseQuery({ MinKeys: lo, MaxKeys: hi }), t) === expected;
        }),
      );
    });
  });
});
