import { isWellFormedId, MAX_ID_LENGTH, newId } from './ids';

describe('newId', () => {
  afterEach(() => jest.useRealTimers());

  it('gives 26 URL-safe Crockford base32 characters', () => {
    const sut = newId();
    expect(sut).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(encodeURIComponent(sut)).toBe(sut);
  });

  it('never repeats across many ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId()));
    expect(ids.size).toBe(10_000);
  });

  it('spends all 80 random bits: each of the 16 random characters takes each of the 32 values', () => {
    const ids = Array.from({ length: 5_000 }, () => newId());
    for (let at = 10; at < 26; at++) expect(new Set(ids.map((id) => id[at])).size).toBe(32);
  });

  it('sorts ids of later milliseconds after earlier ones', () => {
    jest.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
    const first = newId();
    jest.setSystemTime(Date.UTC(2030, 0, 1) + 1);
    const second = newId();
    expect(first < second).toBe(true);
  });

  it('encodes the creation millisecond in the first 10 characters', () => {
    jest.useFakeTimers({ now: 0 });
    expect(newId().slice(0, 10)).toBe('0000000000');
    jest.setSystemTime(2 ** 48 - 1);
    expect(newId().slice(0, 10)).toBe('7ZZZZZZZZZ');
  });
});

describe(isWellFormedId.name, () => {
  it('accepts every id Willow hands out and other plain opaque text', () => {
    expect(isWellFormedId(newId())).toBe(true);
    expect(isWellFormedId('lk_0123')).toBe(true);
    expect(isWellFormedId('x'.repeat(MAX_ID_LENGTH))).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a NUL byte', 'ab\u0000'],
    ['a newline', 'ab\n'],
    ['an unpaired surrogate', 'ab\ud800'],
    ['too long', 'x'.repeat(MAX_ID_LENGTH + 1)],
  ])('refuses an id that is %s', (_what, id) => {
    expect(isWellFormedId(id)).toBe(false);
  });
});
