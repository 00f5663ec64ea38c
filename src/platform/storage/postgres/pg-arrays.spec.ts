import fc from 'fast-check';
import { scalarArray, textArray } from './pg-arrays';

// What the driver sends for an array parameter: the reference these literals must equal.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (value: unknown) => string };

/** The driver writes NULL; the JSON way writes null, which an array literal reads alike (case does not matter). */
const ourNulls = (literal: string) => literal.replace(/(^|[{,])NULL(?=,|}$)/g, '$1null');

describe('textArray', () => {
  it('writes what the driver writes, for any text (JSON documents, quotes, backslashes, control characters, surrogates)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('"', '\\', 'n', 'u', ',', '{', '}', ' ', '\n', '\ud800', 'N', 'U', 'L') }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null, freq: 8 }), { maxLength: 20 }), (values) => {
        expect(ourNulls(textArray(values))).toBe(ourNulls(prepareValue(values)));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes one native call for JSON documents, their own escapes included: no element is escaped by hand', () => {
    const docs = ['{"commit":"abc","n":1}', '"line\\nbreak"', '"tab\\t \\u00e9 \\\\n"', '[1,"\\"quoted\\""]', 'null', 'C:\\dir\\new'];
    const replace = jest.spyOn(String.prototype, 'replace');
    const literal = textArray(docs);
    expect(replace).not.toHaveBeenCalled();
    replace.mockRestore();
    expect(literal).toBe(prepareValue(docs));
    // A control character or an unpaired surrogate is escaped by hand (JSON would write \n, which the literal reads as n).
    const other = jest.spyOn(String.prototype, 'replace');
    expect(textArray(['a\nb', 'ok'])).toBe(prepareValue(['a\nb', 'ok']));
    expect(other).toHaveBeenCalled();
    other.mockRestore();
    expect(textArray(docs)).toBe(`{${JSON.stringify(docs).slice(1, -1)}}`);
    expect(textArray(docs)).toBe(prepareValue(docs));
    expect(textArray([])).toBe('{}');
    expect(textArray(['NULL', null, ''])).toBe('{"NULL",null,""}');
  });
});

describe('scalarArray', () => {
  it('writes numbers, booleans and nulls as the driver does, without its quotes', () => {
    const scalar = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 20 }), (values) => {
        expect(scalarArray(values)).toBe(prepareValue(values).replace(/"/g, ''));
      }),
    );
  });

  it('refuses a number no column can hold instead of writing a wrong value', () => {
    expect(() => scalarArray([1, Number.NaN])).toThrow('cannot write NaN');
    expect(() => scalarArray([Infinity])).toThrow('cannot write Infinity');
    expect(() => scalarArray(['1,2' as unknown as number])).toThrow('cannot write 1,2');
  });
});
