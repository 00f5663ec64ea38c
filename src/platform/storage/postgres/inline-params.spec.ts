import { inlineParams } from './inline-params';

describe(inlineParams.name, () => {
  it('writes each placeholder as a literal: strings quoted by the driver, arrays as ARRAY[...], null as NULL', () => {
    expect(inlineParams('SELECT $1::text, $2::text[], $3::int, $4, $5', ["it's", ['a', 'b\\c'], 7, null, true])).toBe(
      "SELECT 'it''s'::text, ARRAY['a',  E'b\\\\c']::text[], 7::int, NULL, true",
    );
  });

  it('tells $1 from $10 and refuses a placeholder without a value', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlineParams('$1 $10', ten)).toBe('1 10');
    expect(() => inlineParams('$1 $2', ['x'])).toThrow('no value for placeholder $2');
  });

  it('refuses values it cannot write exactly', () => {
    expect(() => inlineParams('$1', [Number.NaN])).toThrow(TypeError);
    expect(() => inlineParams('$1', [{ a: 1 }])).toThrow(TypeError);
  });

  it('refuses a text holding a NUL character as invalid input, which a statement would otherwise cut short', () => {
    expect(() => inlineParams('$1::text[]', [['fine', 'a\u0000b']])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/NUL/) }));
    expect(inlineParams('$1', ['\\u0000 spelled out'])).toBe(" E'\\\\u0000 spelled out'");
  });
});
