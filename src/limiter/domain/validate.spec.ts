import { InvalidInputError } from '../../common/errors';
import { checkNewOverride, checkNewRule, groupSetKey, parseCounters, parseGroupBy, parseOpId, validCounters } from './validate';

function fault(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('limiter input validation', () => {
  it('accepts a GroupBy of distinct keys, reserved ones included, keeping the order', () => {
    expect(parseGroupBy(['repo_name', '_willow_queue'], 'GroupBy')).toEqual(['repo_name', '_willow_queue']);
  });

  it.each([
    ['an empty GroupBy', [], 'GroupBy', /at least 1 key/],
    ['a repeated key', ['a', 'b', 'a'], 'GroupBy[2]', /repeats the key "a"/],
    ['a non-string key', ['a', 3], 'GroupBy[1]', /must be a tag key/],
    ['a $ key', ['$or'], 'GroupBy[0]', /must not begin with "\$"/],
    ['the empty key', [''], 'GroupBy[0]', /empty key/],
    ['not an array', 'repo', 'GroupBy', /must be an array/],
    ['65 keys', Array.from({ length: 65 }, (_, i) => `k${i}`), 'GroupBy', /at most 64/],
  ])('rejects %s, naming the path', (_label, raw, path, message) => {
    const error = fault(() => parseGroupBy(raw, 'GroupBy'));
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  it('identifies a GroupBy as a set', () => {
    expect(groupSetKey(['b', 'a'])).toBe(groupSetKey(['a', 'b']));
    expect(groupSetKey(['a'])).not.toBe(groupSetKey(['a', 'b']));
  });

  it('re-checks whole commands with the kernel parsers', () => {
    expect(fault(() => checkNewRule({ name: 'a/b', groupBy: ['k'], limit: 1 })).path).toBe('Name');
    expect(fault(() => checkNewRule({ name: 'r', groupBy: ['k'], limit: -5 })).path).toBe('Limit');
    expect(fault(() => checkNewOverride({ name: 'o', keyValues: { k: null } as never, limit: 1 })).path).toBe('KeyValues.k');
    expect(checkNewOverride({ name: 'o', keyValues: { _willow_queue: 'q' }, limit: 1 }).keyValues).toEqual({ _willow_queue: 'q' });
  });

  it('bounds Counters: integers from 1 (or 0 for set) to 1e9', () => {
    expect(parseCounters(1, 'Counters', 1)).toBe(1);
    expect(parseCounters(0, 'Counters', 0)).toBe(0);
    expect(fault(() => parseCounters(0, 'Counters', 1)).message).toMatch(/from 1 to 1000000000/);
    expect(fault(() => parseCounters(1.5, 'Counters', 1)).message).toMatch(/not a whole number/);
    expect(fault(() => parseCounters('2', 'Counters', 1)).message).toMatch(/not a string/);
    expect(fault(() => parseCounters(1e9 + 1, 'Counters', 1)).path).toBe('Counters');
  });

  it('takes as valid exactly the Counters parseCounters returns unchanged', () => {
    for (const min of [0, 1] as const) {
      for (const raw of [-1, -0, 0, 1, 2.5, 1e9, 1e9 + 1, Number.NaN, Infinity, '1', null, undefined, 2 ** 53]) {
        let parsed: unknown;
        try {
          parsed = parseCounters(raw, 'Counters', min);
        } catch {
          parsed = undefined;
        }
        expect([raw, min, validCounters(raw, min)]).toEqual([raw, min, parsed !== undefined && Object.is(parsed, raw)]);
      }
    }
  });

  it('takes an opId of 1 to 200 characters, or none', () => {
    expect(parseOpId(undefined, 'OpId')).toBeNull();
    expect(parseOpId(null, 'OpId')).toBeNull();
    expect(parseOpId('item:1', 'OpId')).toBe('item:1');
    expect(fault(() => parseOpId('', 'OpId')).path).toBe('OpId');
    expect(fault(() => parseOpId('x'.repeat(201), 'OpId')).message).toMatch(/1 to 200 characters/);
    expect(fault(() => parseOpId(7, 'OpId')).path).toBe('OpId');
    expect(fault(() => parseOpId('settle:\u0000a', '[2].OpId'))).toMatchObject({ code: 'INVALID_INPUT', path: '[2].OpId', message: expect.stringMatching(/NUL/) });
  });
});
