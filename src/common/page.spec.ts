import { InvalidInputError } from './errors';
import { decodeCursor } from './page';

describe(decodeCursor.name, () => {
  it('reads back the key of every cursor the service sends', () => {
    for (const key of ['builds', '{"os":"linux"}', 'ünïcode ✓ 𝄞', '12345']) {
      expect(decodeCursor(Buffer.from(key, 'utf8').toString('base64url'))).toBe(key);
    }
  });

  it.each([
    ['a NUL byte', 'AA'],
    ['bytes that are not UTF-8', '_w'],
    ['stray bits that do not round-trip', 'AB'],
    ['padding', 'YQ=='],
    ['characters outside base64url', 'a+b/'],
    ['a lone character', 'A'],
  ])('refuses a cursor holding %s with INVALID_INPUT naming Cursor', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidInputError);
    expect(() => decodeCursor(cursor)).toThrow(/^Cursor: /);
  });
});
