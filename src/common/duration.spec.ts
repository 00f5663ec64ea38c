import { formatDuration, LIMITS, parseDuration } from './duration';
import { InvalidInputError } from './errors';

const lease: { minMs: number; maxMs: number } = { minMs: LIMITS.leaseMinMs, maxMs: LIMITS.leaseMaxMs };
const wait = { minMs: 0, maxMs: LIMITS.waitMaxMs };

function expectInvalid(raw: unknown, message: RegExp, bounds = lease): void {
  let error: unknown;
  try {
    parseDuration(raw, 'Timeout', bounds);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
  expect((error as InvalidInputError).path).toBe('Timeout');
  expect((error as InvalidInputError).message).toMatch(message);
}

describe('parseDuration', () => {
  it.each<[unknown, number]>([
    [100, 100],
    [30_000, 30_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['100.4ms', 100],
    ['1.1s', 1_100],
  ])('reads %j as %d ms', (raw, ms) => {
    expect(parseDuration(raw, 'Timeout', lease)).toBe(ms);
  });

  it('accepts the bounds themselves, including a zero Wait', () => {
    expect(parseDuration(0, 'Wait', wait)).toBe(0);
    expect(parseDuration('0s', 'Wait', wait)).toBe(0);
    expect(parseDuration('10m', 'Wait', wait)).toBe(600_000);
  });

  it.each<[string, unknown, RegExp]>([
    ['a negative number', -1, /must not be negative/],
    ['a negative string', '-5s', /must not be negative/],
    ['a fractional number', 1.5, /whole number of milliseconds; for fractions use a string/],
    ['NaN', NaN, /NaN is not a duration/],
    ['Infinity', Infinity, /Infinity is not a duration/],
    ['a unitless string', '500', /needs a unit, as in "500ms" or "500s"/],
    ['an unknown unit', '5w', /string with a unit.*got "5w"/],
    ['text', 'soon', /got "soon"/],
    ['a space before the unit', '30 s', /got "30 s"/],
    ['an overly long string', '1'.repeat(40) + 's', /string with a unit/],
    ['null', null, /got null/],
    ['a boolean', true, /got a boolean/],
    ['an object', { ms: 5 }, /got an object/],
    ['a value below the minimum', 99, /must be between 100ms and 24h/],
    ['a value above the maximum', '25h', /must be between 100ms and 24h/],
    ['a string that rounds below the minimum', '99.4ms', /must be between 100ms and 24h/],
  ])('rejects %s', (_label, raw, message) => expectInvalid(raw, message));

  it('states the Wait range in its own units', () => {
    expectInvalid('11m', /must be between 0ms and 10m/, wait);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [100, '100ms'],
    [1_500, '1500ms'],
    [30_000, '30s'],
    [90_000, '90s'],
    [600_000, '10m'],
    [86_400_000, '24h'],
  ])('renders %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
