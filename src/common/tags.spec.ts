import { InvalidInputError } from './errors';
import { parseTags } from './tags';

function thrown(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    return error as InvalidInputError;
  }
  throw new Error('expected the call to throw');
}

function expectInvalid(fn: () => unknown, path: string, message?: RegExp): void {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(InvalidInputError);
  expect(error.code).toBe('INVALID_INPUT');
  expect(error.path).toBe(path);
  if (message) expect(error.message).toMatch(message);
}

describe('parseTags', () => {
  it('returns a frozen copy with the same tags', () => {
    const raw = { os: 'linux', cores: 8, gpu: false };
    const sut = parseTags(raw, 'KeyValues');
    expect(sut).toEqual(raw);
    expect(sut).not.toBe(raw);
    expect(Object.isFrozen(sut)).toBe(true);
  });

  it('returns a null-prototype object, so inherited names are never mistaken for tags', () => {
    const sut = parseTags({ os: 'linux' }, 'KeyValues');
    expect(Object.getPrototypeOf(sut)).toBeNull();
    expect(Object.hasOwn(sut, 'constructor')).toBe(false);
  });

  it('accepts objects with a null prototype', () => {
    const raw = Object.assign(Object.create(null), { os: 'linux' });
    expect(parseTags(raw, 'KeyValues')).toEqual({ os: 'linux' });
  });

  it('stores -0 as 0', () => {
    expect(Object.is(parseTags({ n: -0 }, 'KeyValues').n, 0)).toBe(true);
  });

  it.each([
    ['null', null, /got null/],
    ['an array', [['os', 'linux']], /got an array/],
    ['a string', 'os=linux', /got a string/],
    ['undefined', undefined, /got nothing/],
    ['a class instance', new Date(0), /JSON object/],
  ])('rejects %s instead of an object', (_label, raw, message) => {
    expectInvalid(() => parseTags(raw, 'KeyValues'), 'KeyValues', message);
  });

  it('rejects an empty object', () => {
    expectInvalid(() => parseTags({}, 'KeyValues'), 'KeyValues', /at least 1 tag/);
  });

  it('rejects more keys than the limit and accepts exactly the limit', () => {
    const limits = { maxKeys: 3, maxKeyLength: 128, maxValueLength: 1024 };
    expect(Object.keys(parseTags({ a: 1, b: 2, c: 3 }, 'KeyValues', { limits }))).toHaveLength(3);
    expectInvalid(() => parseTags({ a: 1, b: 2, c: 3, d: 4 }, 'KeyValues', { limits }), 'KeyValues', /4 tags; at most 3/);
  });

  it('allows 64 keys by default and rejects 65', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(parseTags(many(64), 'KeyValues'))).toHaveLength(64);
    expectInvalid(() => parseTags(many(65), 'KeyValues'), 'KeyValues', /at most 64/);
  });

  it('bounds reserved keys, where allowed, apart from the others: 64 of each, not 65', () => {
    const many = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));
    const channelCounter = { ...many(64, 'k'), _willow_queue: 'q' };
    expect(Object.keys(parseTags(channelCounter, 'KeyValues', { allowReserved: true }))).toHaveLength(65);
    expectInvalid(() => parseTags(channelCounter, 'KeyValues'), 'KeyValues', /65 tags; at most 64/);
    expectInvalid(() => parseTags({ ...many(65, 'k'), _q: 1 }, 'KeyValues', { allowReserved: true }), 'KeyValues', /65 tags; at most 64/);
    expectInvalid(() => parseTags({ a: 1, ...many(65, '_r') }, 'KeyValues', { allowReserved: true }), 'KeyValues', /65 reserved \(_\) tags; at most 64/);
  });

  it('rejects the empty key', () => {
    expectInvalid(() => parseTags({ '': 1 }, 'KeyValues'), 'KeyValues[""]', /empty key/);
  });

  it('rejects a key longer than 128 characters, counting code points', () => {
    expect(parseTags({ ['\u{1F600}'.repeat(128)]: 1 }, 'KeyValues')).toBeDefined();
    const long = 'k'.repeat(129);
    expectInvalid(() => parseTags({ [long]: 1 }, 'KeyValues'), `KeyValues["${'k'.repeat(64)}…"]`, /129 characters.*at most 128/);
  });

  it.each(['a\nb', 'tab\there', 'nul\u0000', 'del\u007f', 'c1\u0085'])('rejects the key %j with a control character', (key) => {
    expectInvalid(() => parseTags({ [key]: 1 }, 'KeyValues'), `KeyValues[${JSON.stringify(key)}]`, /control characters/);
  });

  it('rejects a key with an unpaired surrogate', () => {
    expectInvalid(() => parseTags({ 'a\uD800': 1 }, 'KeyValues'), 'KeyValues["a\\ud800"]', /unpaired surrogate/);
  });

  it('rejects _-prefixed keys as reserved for Willow unless allowed', () => {
    expectInvalid(() => parseTags({ _willow_queue: 'q' }, 'KeyValues'), 'KeyValues._willow_queue', /reserved for Willow/);
    expect(parseTags({ _willow_queue: 'q' }, 'KeyValues', { allowReserved: true })).toEqual({ _willow_queue: 'q' });
  });

  it('rejects $-prefixed keys even when reserved keys are allowed', () => {
    expectInvalid(() => parseTags({ $gt: 1 }, 'KeyValues', { allowReserved: true }), 'KeyValues.$gt', /must not begin with "\$"/);
  });

  it('rejects a "__proto__" key without touching any prototype', () => {
    const raw = JSON.parse('{"__proto__": {"polluted": true}, "os": "linux"}') as unknown;
    expectInvalid(() => parseTags(raw, 'KeyValues', { allowReserved: true }), 'KeyValues.__proto__', /cannot be used/);
    expectInvalid(() => parseTags(raw, 'KeyValues'), 'KeyValues.__proto__', /reserved/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['null', null, /null is not allowed/],
    ['an object', { name: 'linux' }, /an object is not allowed/],
    ['an array', ['linux'], /an array is not allowed/],
    ['undefined', undefined, /undefined\) is not allowed/],
    ['NaN', NaN, /finite number/],
    ['Infinity', Infinity, /finite number/],
  ])('rejects %s as a value, naming the key', (_label, value, message) => {
    expectInvalid(() => parseTags({ os: value }, 'KeyValues'), 'KeyValues.os', message);
  });

  it('says which values are allowed when rejecting null', () => {
    expect(thrown(() => parseTags({ os: null }, 'KeyValues')).message).toBe(
      'KeyValues.os: must be a string, finite number or boolean; null is not allowed',
    );
  });

  it('rejects a string value longer than the limit and accepts exactly the limit', () => {
    expect(parseTags({ v: 'x'.repeat(1024) }, 'KeyValues').v).toHaveLength(1024);
    expectInvalid(() => parseTags({ v: 'x'.repeat(1025) }, 'KeyValues'), 'KeyValues.v', /1025 characters.*at most 1024/);
  });

  it('rejects a string value with an unpaired surrogate', () => {
    expectInvalid(() => parseTags({ v: '\uDC00' }, 'KeyValues'), 'KeyValues.v', /unpaired surrogate/);
  });

  it('names keys that are not identifiers in brackets', () => {
    expectInvalid(() => parseTags({ 'a.b c': null }, 'KeyValues'), 'KeyValues["a.b c"]');
  });
});
