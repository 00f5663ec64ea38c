import { checkItems, dataJson, parseEnqueue, parseEnqueueBatch, parseUpdateQueue } from './validate';
import { parseAck, parseAckBatch, parseDequeueBatch } from './validate-consumer';

function fault(fn: () => unknown): { code: string; path: string; problem: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code: string; path: string; problem: string };
    return { code: e.code, path: e.path, problem: e.problem };
  }
  throw new Error('expected a fault');
}

const batch = (items: unknown) => parseEnqueueBatch({ Items: items }, '');

describe(parseEnqueue.name, () => {
  it('applies the defaults', () => {
    expect(parseEnqueue({ KeyValues: { a: 1 }, Data: null }, '')).toEqual({
      tags: { a: 1 },
      data: null,
      updateable: true,
      retryAttempts: 0,
      retryPosition: 'front',
      timeoutMs: 60_000,
      priority: 0,
      delayMs: null,
      notBefore: null,
      retryDelayMs: 0,
      retryBackoff: 'fixed',
    });
  });

  it('parses every field', () => {
    const item = parseEnqueue({ KeyValues: { a: 'x' }, Data: { d: 1 }, Updateable: false, RetryAttempts: 3, RetryPosition: 'back', Timeout: '2s' }, '');
    expect(item).toEqual({
      tags: { a: 'x' }, data: { d: 1 }, updateable: false, retryAttempts: 3, retryPosition: 'back', timeoutMs: 2_000,
      priority: 0, delayMs: null, notBefore: null, retryDelayMs: 0, retryBackoff: 'fixed',
    });
    const due = parseEnqueue({ KeyValues: { a: 1 }, Data: 1, Priority: -100, Delay: '2d', RetryDelay: '30s', RetryBackoff: 'exponential' }, '');
    expect(due).toMatchObject({ priority: -100, delayMs: 172_800_000, notBefore: null, retryDelayMs: 30_000, retryBackoff: 'exponential' });
    const at = parseEnqueue({ KeyValues: { a: 1 }, Data: 1, NotBefore: '2026-12-24T19:00:00.5+01:00' }, '');
    expect(at).toMatchObject({ delayMs: null, notBefore: Date.UTC(2026, 11, 24, 18, 0, 0, 500) });
  });

  it.each([
    [{ Priority: 101 }, 'Priority', /-100 to 100; got 101/],
    [{ Priority: 1.5 }, 'Priority', /not a whole number/],
    [{ Priority: '5' }, 'Priority', /not a string/],
    [{ Delay: '31d' }, 'Delay', /between 0ms and 30d/],
    [{ Delay: -1 }, 'Delay', /negative/],
    [{ NotBefore: 'tomorrow' }, 'NotBefore', /ISO-8601 time with a zone/],
    [{ NotBefore: '2026-12-24T18:00:00' }, 'NotBefore', /ISO-8601 time with a zone/],
    [{ NotBefore: '2026-13-45T18:00:00Z' }, 'NotBefore', /ISO-8601/],
    [{ NotBefore: 1_800_000_000_000 }, 'NotBefore', /ISO-8601.*got a number/],
    [{ Delay: '1s', NotBefore: '2026-12-24T18:00:00Z' }, 'NotBefore', /cannot be sent with Delay/],
    [{ RetryDelay: '25h' }, 'RetryDelay', /between 0ms and 24h/],
    [{ RetryBackoff: 'linear' }, 'RetryBackoff', /fixed, exponential/],
  ])('refuses %j, naming %s', (fields, path, problem) => {
    const error = fault(() => parseEnqueue({ KeyValues: { a: 1 }, Data: 1, ...fields }, ''));
    expect(error.path).toBe(path);
    expect(error.problem).toMatch(problem);
  });

  it('judges fields in order: an unknown field first, then KeyValues before Data', () => {
    expect(fault(() => parseEnqueue({ Data: 1, Selections: 1 }, '')).path).toBe('Selections');
    expect(fault(() => parseEnqueue({}, '')).path).toBe('KeyValues');
  });

  it('keeps the messages a client reads', () => {
    expect(fault(() => parseEnqueue({ KeyValues: { a: 1 }, Data: 1, Updateable: 'yes' }, '')).problem).toBe('must be a boolean value');
    expect(fault(() => parseEnqueue({ KeyValues: { a: 1 }, Data: 1, RetryPosition: 'middle' }, '')).problem).toBe(
      'must be one of the following values: front, back',
    );
    expect(fault(() => parseEnqueue({ KeyValues: { a: 1 }, Nope: 1 }, '')).problem).toBe('is not a known field; remove it (field names are PascalCase)');
  });
});

describe(parseEnqueueBatch.name, () => {
  it.each([
    [undefined, 'Items'],
    [[], 'Items'],
    [Array.from({ length: 1_001 }, () => ({ KeyValues: { a: 1 }, Data: 1 })), 'Items'],
    [[{ KeyValues: { a: 1 }, Data: 1 }, 'text'], 'Items[1]'],
    [[{ KeyValues: { a: 1 }, Data: 1, Selections: 1 }], 'Items[0].Selections'],
    [[{ KeyValues: { a: 1 }, Data: 1, constructor: 1 }], 'Items[0].constructor'],
    [[{ KeyValues: { a: 1 } }], 'Items[0].Data'],
    [[{ KeyValues: { _a: 1 }, Data: 1 }], 'Items[0].KeyValues._a'],
    [[{ KeyValues: { a: 1 }, Data: 1 }, { KeyValues: { a: 1 }, Data: 1 }, { KeyValues: { a: 1 }, Data: 1 }, { KeyValues: { os: [] }, Data: 1 }], 'Items[3].KeyValues.os'],
    [[{ KeyValues: { a: 1 }, Data: 1, Updateable: 'yes' }], 'Items[0].Updateable'],
    [[{ KeyValues: { a: 1 }, Data: 1, RetryAttempts: 1.5 }], 'Items[0].RetryAttempts'],
    [[{ KeyValues: { a: 1 }, Data: 1, RetryPosition: 'middle' }], 'Items[0].RetryPosition'],
    [[{ KeyValues: { a: 1 }, Data: 1, Timeout: '1ms' }], 'Items[0].Timeout'],
  ])('refuses %j at %s', (items, path) => {
    expect(fault(() => batch(items))).toMatchObject({ code: 'INVALID_INPUT', path });
  });

  it('gives each item the single enqueue answer', () => {
    const one = { KeyValues: { a: 1 }, Data: 1, Timeout: 500 };
    expect(batch([one, one])).toEqual([parseEnqueue(one, ''), parseEnqueue(one, '')]);
  });

  it('keeps keys named like Object.prototype members as ordinary keys', () => {
    const [item] = batch([{ KeyValues: { constructor: 'x', toString: 1 }, Data: { valueOf: true } }]);
    expect(item.tags).toEqual({ constructor: 'x', toString: 1 });
    expect(item.data).toEqual({ valueOf: true });
  });
});

describe(checkItems.name, () => {
  const item = {
    tags: { a: 1 }, data: 1, updateable: true, retryAttempts: 0, retryPosition: 'front' as const, timeoutMs: 1_000,
    priority: 3, delayMs: null, notBefore: Date.UTC(2026, 11, 24), retryDelayMs: 500, retryBackoff: 'exponential' as const,
  };

  it('judges in-process items as their wire form, naming the HTTP path', () => {
    expect(checkItems([item])).toEqual([item]);
    expect(fault(() => checkItems([{ ...item, tags: { _x: 1 } }])).path).toBe('KeyValues._x');
    expect(fault(() => checkItems([item, { ...item, timeoutMs: 1 }])).path).toBe('Items[1].Timeout');
    expect(fault(() => checkItems([item, { ...item, data: undefined }])).path).toBe('Items[1].Data');
    expect(fault(() => checkItems([{ ...item, retryPosition: 'middle' as never }])).path).toBe('RetryPosition');
    expect(fault(() => checkItems([]))).toMatchObject({ path: 'Items', problem: expect.stringMatching(/1 to 1000 items \(got 0\)/) });
  });

  it('passes on the items parseEnqueue made as they are (judged once), frozen so they still hold what was judged', () => {
    const parsed = batch([{ KeyValues: { a: 1 }, Data: 1 }, { KeyValues: { b: 'x' }, Data: 2, Priority: 5 }]);
    expect(checkItems(parsed)).toBe(parsed);
    expect(Object.isFrozen(parsed[1]) && Object.isFrozen(parsed[1].tags)).toBe(true);
    expect(() => {
      (parsed[1] as { priority: number }).priority = 1_000;
    }).toThrow(TypeError);
    // A copy is not what was judged: it is judged again, even one made on the judged item's prototype.
    expect(fault(() => checkItems([parsed[0], { ...parsed[1], priority: 1_000 }])).path).toBe('Items[1].Priority');
    const sameKind = Object.assign(Object.create(Object.getPrototypeOf(parsed[1]) as object) as object, parsed[1], { priority: 1_000 });
    expect(fault(() => checkItems([sameKind as typeof parsed[1]])).path).toBe('Priority');
    // Judged items still make a batch of at most 1000.
    const many = Array.from({ length: 1_001 }, () => parsed[0]);
    expect(fault(() => checkItems(many))).toMatchObject({ path: 'Items', problem: expect.stringMatching(/1 to 1000 items \(got 1001\)/) });
  });

  it('measures Data as stored JSON, naming the item', () => {
    expect(dataJson({ a: 1 }, '', 100)).toBe('{"a":1}');
    expect(() => dataJson('x'.repeat(200), 'Items[2]', 100)).toThrow(/^Items\[2\]\.Data \(202 bytes as JSON\)/);
    // In bytes of UTF-8, not characters: 34 characters of 3 bytes each and the quotes are 104 bytes.
    expect(() => dataJson('€'.repeat(34), '', 104)).not.toThrow();
    expect(() => dataJson('€'.repeat(34), '', 103)).toThrow(/^Data \(104 bytes as JSON\)/);
    expect(() => dataJson('😀'.repeat(25), '', 101)).toThrow(/^Data \(102 bytes as JSON\)/);
    expect(dataJson('😀'.repeat(24), '', 101)).toBe(JSON.stringify('😀'.repeat(24)));
  });
});

describe('consumer parsers', () => {
  it('parses a dequeue batch with its defaults', () => {
    expect(parseDequeueBatch({ Count: 5 }, '')).toEqual({ query: {}, waitMs: 30_000, count: 5 });
    expect(fault(() => parseDequeueBatch({ Count: 5, Query: { Where: { os: { $like: 'x' } } } }, '')).path).toBe('Query.Where.os.$like');
    expect(fault(() => parseDequeueBatch({}, '')).path).toBe('Count');
  });

  it('parses acks, naming the entry of a batch', () => {
    expect(parseAck({ Passed: false }, '')).toEqual({ passed: false, attempt: null, error: null });
    expect(parseAckBatch({ Acks: [{ ID: 'x', Passed: true, Attempt: 2 }] }, '')).toEqual([{ id: 'x', passed: true, attempt: 2, error: null }]);
    expect(fault(() => parseAckBatch({ Acks: [{ ID: 'x', Passed: true }, { ID: '', Passed: true }] }, '')).path).toBe('Acks[1].ID');
    expect(fault(() => parseAckBatch({ Acks: [{ ID: 'x', Passed: 'yes' }] }, '')).path).toBe('Acks[0].Passed');
    expect(fault(() => parseAckBatch({ Acks: [{ ID: 'x', Passed: true, Attempt: 0 }] }, '')).path).toBe('Acks[0].Attempt');
  });
});

describe('ack Error', () => {
  it('takes a failure reason of up to 4 KiB (UTF-8) with Passed false, in a single ack and in a batch', () => {
    expect(parseAck({ Passed: false, Error: 'exit 1' }, '')).toEqual({ passed: false, attempt: null, error: 'exit 1' });
    const max = 'é'.repeat(2_048);
    expect(parseAck({ Passed: false, Error: max }, '').error).toBe(max);
    expect(parseAckBatch({ Acks: [{ ID: 'x', Passed: false, Error: 'e' }] }, '')).toEqual([{ id: 'x', passed: false, attempt: null, error: 'e' }]);
  });

  it('refuses it above 4 KiB, with Passed true, when not text, or with a NUL; a batch names the entry', () => {
    expect(fault(() => parseAck({ Passed: false, Error: `${'é'.repeat(2_048)}x` }, ''))).toMatchObject({ code: 'INVALID_INPUT', path: 'Error' });
    expect(fault(() => parseAck({ Passed: true, Error: 'e' }, ''))).toMatchObject({ code: 'INVALID_INPUT', path: 'Error' });
    expect(fault(() => parseAck({ Passed: false, Error: 3 }, '')).path).toBe('Error');
    expect(fault(() => parseAck({ Passed: false, Error: 'a\u0000b' }, '')).path).toBe('Error');
    expect(fault(() => parseAckBatch({ Acks: [{ ID: 'x', Passed: false }, { ID: 'y', Passed: true, Error: 'e' }] }, '')).path).toBe('Acks[1].Error');
  });
});

describe(parseUpdateQueue.name, () => {
  it('takes MaxItems, Paused or both, leaving an absent field out (unchanged)', () => {
    expect(parseUpdateQueue({ MaxItems: 5 }, '')).toEqual({ maxItems: 5 });
    expect(parseUpdateQueue({ Paused: true }, '')).toEqual({ paused: true });
    expect(parseUpdateQueue({ MaxItems: -1, Paused: false }, '')).toEqual({ maxItems: -1, paused: false });
  });

  it('refuses an empty change, a Paused that is not a boolean, and unknown fields', () => {
    expect(fault(() => parseUpdateQueue({}, ''))).toMatchObject({ code: 'INVALID_INPUT', path: '' });
    expect(fault(() => parseUpdateQueue({ Paused: 'yes' }, '')).path).toBe('Paused');
    expect(fault(() => parseUpdateQueue({ Paused: true, Pause: true }, '')).path).toBe('Pause');
  });
});
