import { InvalidInputError } from './errors';
import { charCount, fieldPath, isJsonObject, isName, parseName, parseSafeInt } from './names';

function expectInvalid(fn: () => unknown, path: string, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
  expect((error as InvalidInputError).path).toBe(path);
  expect((error as InvalidInputError).message).toMatch(message);
}

describe('parseName', () => {
  it.each(['builds', 'git commits', 'ä', '\u{1F600}'.repeat(128), 'x'.repeat(128), '...'])('accepts %j', (name) => {
    expect(parseName(name, 'Name')).toBe(name);
  });

  it.each<[string, unknown, RegExp]>([
    ['a number', 42, /name of 1 to 128 characters.*got a number/],
    ['null', null, /got null/],
    ['the empty string', '', /must not be empty/],
    ['129 characters', 'x'.repeat(129), /129 characters long; shorten it to at most 128/],
    ['a newline', 'a\nb', /control characters/],
    ['a DEL character', 'a\u007fb', /control characters/],
    ['a slash', 'a/b', /must not contain "\/"/],
    ['an unpaired surrogate', 'a\uD83D', /well-formed Unicode/],
    ['"."', '.', /must not be "\." or "\.\."/],
    ['".."', '..', /must not be "\." or "\.\."/],
  ])('rejects %s', (_label, raw, message) => {
    expectInvalid(() => parseName(raw, 'Name'), 'Name', message);
  });
});

describe('parseSafeInt', () => {
  const bounds = { min: -1, max: 10_000 };

  it.each([-1, 0, 7, 10_000])('accepts %d', (n) => {
    expect(parseSafeInt(n, 'Limit', bounds)).toBe(n);
  });

  it('returns 0 for -0', () => {
    expect(Object.is(parseSafeInt(-0, 'Limit', bounds), 0)).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['a numeric string', '5', /integer from -1 to 10000; got a string; send a JSON number, not a string/],
    ['null', null, /got null/],
    ['a fraction', 1.5, /1\.5 is not a whole number/],
    ['NaN', NaN, /NaN is not a whole number/],
    ['an unsafe integer', 2 ** 53, /too large to be exact/],
    ['a value below the range', -2, /integer from -1 to 10000; got -2/],
    ['a value above the range', 10_001, /got 10001/],
  ])('rejects %s', (_label, raw, message) => {
    expectInvalid(() => parseSafeInt(raw, 'Limit', bounds), 'Limit', message);
  });
});

describe('fieldPath', () => {
  it('joins identifier-like keys with a dot and quotes the rest', () => {
    expect(fieldPath('Where', 'os')).toBe('Where.os');
    expect(fieldPath('Where.os', '$gt')).toBe('Where.os.$gt');
    expect(fieldPath('KeyValues', 'repo-name')).toBe('KeyValues.repo-name');
    expect(fieldPath('KeyValues', 'a b')).toBe('KeyValues["a b"]');
    expect(fieldPath('', 'Where')).toBe('Where');
  });
});

describe('charCount', () => {
  it('counts code points, with unpaired surrogates as one each', () => {
    expect(charCount('a\u{1F600}b')).toBe(3);
    expect(charCount('\uDC00\uD800')).toBe(2);
  });
});

describe('isJsonObject', () => {
  it('accepts plain and null-prototype objects only', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject(Object.create(null))).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject(new Map())).toBe(false);
  });
});

describe(isName.name, () => {
  it('holds exactly for what parseName accepts', () => {
    for (const name of ['builds', 'git commits', 'a'.repeat(128)]) expect([isName(name), parseName(name, 'Name')]).toEqual([true, name]);
    for (const name of ['', 'a\u0000', 'a/b', '..', 'a'.repeat(129), 'a\ud800', 7]) {
      expect(isName(name)).toBe(false);
      expect(() => parseName(name, 'Name')).toThrow(InvalidInputError);
    }
  });
});
