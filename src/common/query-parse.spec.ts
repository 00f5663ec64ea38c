import { InvalidInputError } from './errors';
import { parseQuery, parseWhere, type Where } from './query';
import { MAX_QUERY_CHARS } from './query-parse';

function expectInvalid(raw: unknown, path: string, message?: RegExp, prefix?: string): void {
  let error: unknown;
  try {
    parseQuery(raw, prefix);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
  expect((error as InvalidInputError).path).toBe(path);
  if (message) expect((error as InvalidInputError).message).toMatch(message);
}

const eq = (key: string, value: string | number | boolean): Where => ({ kind: 'cmp', key, op: 'eq', value });

describe('parseQuery', () => {
  it.each([undefined, {}, { Where: {} }, { Where: { $and: [{}] } }, { Where: { $or: [{}, {}] } }])(
    'reads %j as match-all with no Where',
    (raw) => {
      expect(parseQuery(raw)).toEqual({});
    },
  );

  it('reads a bare value as $eq and ANDs conditions of one object', () => {
    expect(parseQuery({ Where: { os: 'linux', cores: 8 } })).toEqual({
      where: { kind: 'and', parts: [eq('os', 'linux'), eq('cores', 8)] },
    });
  });

  it('reads every operator into the AST', () => {
    const where = { a: { $eq: 1, $ne: 'x', $lt: 3, $lte: 'b', $gt: 0, $gte: -1.5, $in: [1, '1'], $nin: [], $exists: true } };
    expect(parseQuery({ Where: where }).where).toEqual({
      kind: 'and',
      parts: [
        eq('a', 1),
        { kind: 'cmp', key: 'a', op: 'ne', value: 'x' },
        { kind: 'cmp', key: 'a', op: 'lt', value: 3 },
        { kind: 'cmp', key: 'a', op: 'lte', value: 'b' },
        { kind: 'cmp', key: 'a', op: 'gt', value: 0 },
        { kind: 'cmp', key: 'a', op: 'gte', value: -1.5 },
        { kind: 'in', key: 'a', values: [1, '1'], negate: false },
        { kind: 'in', key: 'a', values: [], negate: true },
        { kind: 'exists', key: 'a', exists: true },
      ],
    });
  });

  it('normalises: flattens nested $and and $or, unwraps single branches, cancels double $not', () => {
    const where = { $and: [{ a: 1 }, { $and: [{ b: 2 }] }], $or: [{ $or: [{ c: 3 }, { d: 4 }] }], $not: { $not: { e: 5 } } };
    expect(parseQuery({ Where: where }).where).toEqual({
      kind: 'and',
      parts: [eq('a', 1), eq('b', 2), { kind: 'or', parts: [eq('c', 3), eq('d', 4)] }, eq('e', 5)],
    });
  });

  it('keeps $not of an empty Where as a query that matches nothing', () => {
    expect(parseQuery({ Where: { $not: {} } }).where).toEqual({ kind: 'not', part: { kind: 'and', parts: [] } });
  });

  it('reads MinKeys, MaxKeys and OnlyKeys, dropping duplicate keys', () => {
    expect(parseQuery({ MinKeys: 1, MaxKeys: 3, OnlyKeys: ['os', '_willow_queue', 'os'] })).toEqual({
      minKeys: 1,
      maxKeys: 3,
      onlyKeys: ['os', '_willow_queue'],
    });
  });

  it('accepts MinKeys equal to MaxKeys, and an empty OnlyKeys', () => {
    expect(parseQuery({ MinKeys: 2, MaxKeys: 2, OnlyKeys: [] })).toEqual({ minKeys: 2, maxKeys: 2, onlyKeys: [] });
  });

  it('lets queries name reserved _-prefixed keys', () => {
    expect(parseQuery({ Where: { _willow_queue: 'builds' } }).where).toEqual(eq('_willow_queue', 'builds'));
  });

  it('returns a frozen query', () => {
    expect(Object.isFrozen(parseQuery({ Where: { a: 1 } }))).toBe(true);
  });

  describe('rejects', () => {
    it.each<[string, unknown, string, RegExp]>([
      ['null', null, 'Query', /got null.*send \{\} to select everything/],
      ['an array', [], 'Query', /got an array/],
      ['an unknown field', { Selections: {} }, 'Query.Selections', /not a Query field; use Where, MinKeys/],
      ['a camelCase field, suggesting PascalCase', { where: {} }, 'Query.where', /did you mean "Where"/],
      ['a non-object Where', { Where: 'os=linux' }, 'Query.Where', /object of conditions.*got a string/],
      ['a negative MinKeys', { MinKeys: -1 }, 'Query.MinKeys', /integer from 0/],
      ['a fractional MaxKeys', { MaxKeys: 1.5 }, 'Query.MaxKeys', /not a whole number/],
      ['a string MaxKeys', { MaxKeys: '3' }, 'Query.MaxKeys', /JSON number, not a string/],
      ['MinKeys above MaxKeys', { MinKeys: 3, MaxKeys: 2 }, 'Query.MinKeys', /must not exceed MaxKeys \(2\)/],
      ['a non-array OnlyKeys', { OnlyKeys: 'os' }, 'Query.OnlyKeys', /array of tag keys/],
      ['a non-string key in OnlyKeys', { OnlyKeys: ['os', 3] }, 'Query.OnlyKeys[1]', /a tag key \(a string\); got a number/],
      ['a $-key in OnlyKeys', { OnlyKeys: ['$or'] }, 'Query.OnlyKeys[0]', /must not begin with "\$"/],
      ['an empty key in OnlyKeys', { OnlyKeys: [''] }, 'Query.OnlyKeys[0]', /empty key/],
    ])('%s', (_label, raw, path, message) => expectInvalid(raw, path, message));

    it.each<[string, unknown, string, RegExp]>([
      ['null as a value, pointing at $exists', { os: null }, 'Query.Where.os', /null is not allowed.*"\$exists": false/],
      ['an array as a value, pointing at $in', { os: ['a'] }, 'Query.Where.os', /\$in/],
      ['an empty operator object', { os: {} }, 'Query.Where.os', /at least one operator/],
      ['an unknown operator', { os: { $regex: 'x' } }, 'Query.Where.os.$regex', /not an operator; use one of \$eq/],
      ['a plain key inside operators', { os: { linux: true } }, 'Query.Where.os.linux', /not an operator/],
      ['an operator beside tag keys', { $eq: 1 }, 'Query.Where.$eq', /only \$or, \$and and \$not/],
      ['null for $gt', { os: { $gt: null } }, 'Query.Where.os.$gt', /null is not allowed/],
      ['an object for $eq', { os: { $eq: { a: 1 } } }, 'Query.Where.os.$eq', /an object is not allowed/],
      ['a boolean for a range operator', { ok: { $lt: true } }, 'Query.Where.ok.$lt', /booleans have no order/],
      ['a non-array $in', { os: { $in: 'linux' } }, 'Query.Where.os.$in', /array of values/],
      ['a bad value inside $nin', { os: { $nin: ['a', null] } }, 'Query.Where.os.$nin[1]', /null is not allowed/],
      ['a non-boolean $exists', { os: { $exists: 1 } }, 'Query.Where.os.$exists', /true or false/],
      ['a non-array $or', { $or: { a: 1 } }, 'Query.Where.$or', /non-empty array/],
      ['an empty $or', { $or: [] }, 'Query.Where.$or', /got an empty array/],
      ['an empty $and', { $and: [] }, 'Query.Where.$and', /got an empty array/],
      ['a non-object $not', { $not: 'x' }, 'Query.Where.$not', /object of conditions/],
      ['a fault deep inside $or', { $or: [{ a: 1 }, { os: { $gt: [] } }] }, 'Query.Where.$or[1].os.$gt', /an array/],
      ['a non-object $and branch', { $and: [{ a: 1 }, 7] }, 'Query.Where.$and[1]', /got a number/],
      ['a $-prefixed key that is no operator', { $os: 1 }, 'Query.Where.$os', /not allowed here/],
      ['a key with a control character', { 'a\tb': 1 }, 'Query.Where["a\\tb"]', /control characters/],
      ['a key longer than 128 characters', { ['k'.repeat(129)]: 1 }, `Query.Where["${'k'.repeat(64)}…"]`, /at most 128/],
      ['a string value longer than 1024 characters', { a: 'x'.repeat(1025) }, 'Query.Where.a', /at most 1024/],
      ['a "__proto__" key', JSON.parse('{"__proto__": 1}'), 'Query.Where.__proto__', /cannot be used/],
    ])('%s in Where', (_label, where, path, message) => expectInvalid({ Where: where }, path, message));

    it('uses the given path prefix, and none when it is empty', () => {
      expectInvalid({ Where: { os: { $gt: true } } }, 'Where.os.$gt', undefined, '');
      expectInvalid({ Where: { os: null } }, 'Dequeue.Query.Where.os', undefined, 'Dequeue.Query');
    });

    it('nesting deeper than 64 levels, without overflowing the stack', () => {
      let where: unknown = { a: 1 };
      for (let i = 0; i < 10_000; i++) where = { $not: where };
      expect(() => parseWhere(where, 'Where')).toThrow(/nests too deeply/);
    });
  });
});

describe('parseQuery size bound', () => {
  it('accepts a query up to MAX_QUERY_CHARS of JSON and refuses a larger one naming the path', () => {
    const raw = (n: number) => ({ Where: { os: { $in: Array.from({ length: n }, (_, i) => `value-${i}`) } } });
    let n = 1;
    while (JSON.stringify(raw(n + 1)).length <= MAX_QUERY_CHARS) n++;
    expect(() => parseQuery(raw(n))).not.toThrow();
    expect(() => parseQuery(raw(n + 1), 'Query')).toThrow(/^Query: is \d+ characters as JSON; at most 16384 are allowed/);
  });
});
