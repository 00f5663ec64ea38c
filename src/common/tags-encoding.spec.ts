import fc from 'fast-check';
import {
  canonicalTags,
  compareCodePoints,
  compareTagValues,
  decodeTags,
  DECODED_TAGS_CHARS,
  DECODED_TAGS_KEPT,
  DECODED_TAGS_LONGEST,
  parseTags,
  projectTags,
  type TagValue,
  type Tags,
  tagsEqual,
  withTag,
} from './tags';

const tagKey = fc.constantFrom('a', 'b', 'os', 'repo_name', 'é', '\u{1F600}', '\uFF01', '10', '9');
const tagValue = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
);
const tagSet = fc.dictionary(tagKey, tagValue, { minKeys: 1, maxKeys: 6 });

function reversed(tags: Record<string, TagValue>): Record<string, TagValue> {
  return Object.fromEntries(Object.entries(tags).reverse());
}

describe('parseTags on generated tag sets', () => {
  it('accepts every valid generated tag set unchanged', () => {
    fc.assert(fc.property(tagSet, (raw) => tagsEqual(parseTags(raw, 'KeyValues', { allowReserved: true }), raw)));
  });
});

describe('canonicalTags', () => {
  it('sorts keys by code point, including digit-only keys', () => {
    expect(canonicalTags({ b: 1, a: 'x', '9': true, '10': false })).toBe('{"10":false,"9":true,"a":"x","b":1}');
    expect(canonicalTags({ '\u{1F600}': 1, '\uFF01': 2 })).toBe('{"\uFF01":2,"\u{1F600}":1}');
  });

  it('keeps value types apart: "1" vs 1 and "true" vs true', () => {
    expect(canonicalTags({ a: '1' })).not.toBe(canonicalTags({ a: 1 }));
    expect(canonicalTags({ a: 'true' })).not.toBe(canonicalTags({ a: true }));
  });

  it('is a JSON object of the keys sorted by code point, at any size (in-place sort up to 16 keys, the array sort beyond)', () => {
    const reference = (tags: Tags) =>
      `{${Object.keys(tags)
        .sort(compareCodePoints)
        .map((key) => `${JSON.stringify(key)}:${JSON.stringify(tags[key])}`)
        .join(',')}}`;
    const wide = fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 40 });
    fc.assert(fc.property(wide, (tags) => canonicalTags(tags) === reference(tags)));
    fc.assert(fc.property(tagSet, (tags) => canonicalTags(tags) === reference(tags)));
  });

  it('never depends on key order', () => {
    fc.assert(fc.property(tagSet, (tags) => canonicalTags(tags) === canonicalTags(reversed(tags))));
  });

  it('round-trips through decodeTags', () => {
    fc.assert(
      fc.property(tagSet, (tags) => {
        const decoded = decodeTags(canonicalTags(tags));
        return tagsEqual(decoded, tags) && Object.isFrozen(decoded) && canonicalTags(decoded) === canonicalTags(tags);
      }),
    );
  });

  it('gives equal encodings exactly for equal tag sets', () => {
    fc.assert(fc.property(tagSet, tagSet, (a, b) => (canonicalTags(a) === canonicalTags(b)) === tagsEqual(a, b)));
  });
});

describe('decodeTags', () => {
  it.each(['[]', 'null', '{"a":null}', '{"a":{"b":1}}'])('throws on the corrupt encoding %s', (encoded) => {
    expect(() => decodeTags(encoded)).toThrow(/Corrupt tag encoding/);
    expect(() => decodeTags(encoded)).toThrow(/Corrupt tag encoding/); // not remembered as decoded
  });

  it('answers an encoding decoded lately with the same frozen set, and decodes anew once it was forgotten', () => {
    const encoded = canonicalTags({ os: 'linux', n: 1 });
    const first = decodeTags(encoded);
    expect(decodeTags(canonicalTags({ n: 1, os: 'linux' }))).toBe(first);
    for (let i = 0; i <= DECODED_TAGS_KEPT; i++) expect(decodeTags(canonicalTags({ i }))).toEqual({ i });
    const again = decodeTags(encoded);
    expect(again).not.toBe(first);
    expect(again).toEqual({ os: 'linux', n: 1 });
    expect(Object.isFrozen(again)).toBe(true);
  });

  it('never keeps an encoding longer than DECODED_TAGS_LONGEST, and keeps at most DECODED_TAGS_CHARS characters', () => {
    const long = canonicalTags({ v: 'x'.repeat(DECODED_TAGS_LONGEST) });
    expect(decodeTags(long)).not.toBe(decodeTags(long));
    const encoded = canonicalTags({ kept: true });
    const first = decodeTags(encoded);
    const each = canonicalTags({ w: 'y'.repeat(1_000) });
    // Fewer encodings than DECODED_TAGS_KEPT whose characters pass DECODED_TAGS_CHARS: the first is forgotten.
    for (let i = 0; i * each.length <= DECODED_TAGS_CHARS; i++) decodeTags(canonicalTags({ i, w: 'y'.repeat(1_000) }));
    expect(decodeTags(encoded)).not.toBe(first);
    expect(decodeTags(encoded)).toEqual({ kept: true });
  });
});

describe('tagsEqual', () => {
  it('is typed: "1" differs from 1 and "true" from true', () => {
    expect(tagsEqual({ a: '1' }, { a: 1 })).toBe(false);
    expect(tagsEqual({ a: 'true' }, { a: true })).toBe(false);
    expect(tagsEqual({ a: 1 }, { a: 1 })).toBe(true);
  });

  it('needs the same keys on both sides', () => {
    expect(tagsEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(tagsEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(tagsEqual({ a: 1 }, { b: 1 })).toBe(false);
  });

  it('ignores key order', () => {
    fc.assert(fc.property(tagSet, (tags) => tagsEqual(tags, reversed(tags)) && tagsEqual(reversed(tags), tags)));
  });
});

describe('projectTags', () => {
  const tags: Tags = { repo_name: 'willow', branch_name: 'main', os: 'linux' };

  it('keeps only the given keys', () => {
    expect(projectTags(tags, ['repo_name', 'branch_name'])).toEqual({ repo_name: 'willow', branch_name: 'main' });
  });

  it('returns null when a key is missing', () => {
    expect(projectTags(tags, ['repo_name', 'ios_required'])).toBeNull();
  });

  it('does not treat inherited names as present', () => {
    expect(projectTags({ a: 1 }, ['constructor'])).toBeNull();
  });
});

describe('withTag', () => {
  it('adds or replaces one tag and leaves the original alone', () => {
    const tags = parseTags({ os: 'linux' }, 'KeyValues');
    expect(withTag(tags, '_willow_queue', 'builds')).toEqual({ os: 'linux', _willow_queue: 'builds' });
    expect(withTag(tags, 'os', 'macos')).toEqual({ os: 'macos' });
    expect(tags).toEqual({ os: 'linux' });
    expect(Object.isFrozen(withTag(tags, 'a', 1))).toBe(true);
  });
});

describe('tag sets built here', () => {
  it('are frozen and have a null prototype, whichever function built them', () => {
    const parsed = parseTags({ os: 'linux', n: 1 }, 'KeyValues');
    for (const tags of [parsed, decodeTags(canonicalTags(parsed)), projectTags(parsed, ['os'])!, withTag(parsed, 'a', true)]) {
      expect(Object.getPrototypeOf(tags)).toBeNull();
      expect(Object.isFrozen(tags)).toBe(true);
    }
  });

  it('keep names that are special on ordinary objects as plain own tags', () => {
    const decoded = decodeTags('{"__proto__":"x","constructor":1,"toString":true}');
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.keys(decoded)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.hasOwn(decoded, '__proto__') && decoded['__proto__']).toBe('x');
    expect(canonicalTags(withTag(decoded, 'os', 'linux'))).toBe('{"__proto__":"x","constructor":1,"os":"linux","toString":true}');
  });
});

describe('compareTagValues', () => {
  it('orders numbers numerically', () => {
    expect(compareTagValues(2, 10)).toBeLessThan(0);
    expect(compareTagValues(10, 2)).toBeGreaterThan(0);
    expect(compareTagValues(1.5, 1.5)).toBe(0);
  });

  it('orders strings by code point, not by locale', () => {
    expect(compareTagValues('B', 'a')).toBeLessThan(0);
    expect(compareTagValues('a', 'ä')).toBeLessThan(0);
    expect(compareTagValues('\uFF01', '\u{1F600}')).toBeLessThan(0);
    expect(compareTagValues('ab', 'a')).toBeGreaterThan(0);
  });

  it('treats booleans as only equal or not comparable', () => {
    expect(compareTagValues(true, true)).toBe(0);
    expect(compareTagValues(true, false)).toBeNull();
  });

  it('does not compare across types', () => {
    expect(compareTagValues(1, '1')).toBeNull();
    expect(compareTagValues('true', true)).toBeNull();
    expect(compareTagValues(0, false)).toBeNull();
  });
});

describe('compareCodePoints', () => {
  it('agrees with comparing arrays of code points', () => {
    const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0) as number);
    const reference = (a: string, b: string) => {
      const [x, y] = [codePoints(a), codePoints(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return Math.sign(x[i] - y[i]);
      return Math.sign(x.length - y.length);
    };
    const text = fc.string({ unit: 'binary', maxLength: 6 });
    fc.assert(fc.property(text, text, (a, b) => compareCodePoints(a, b) === reference(a, b)));
  });
});
