import { parseEnqueueItems } from './enqueue-items';

describe(parseEnqueueItems.name, () => {
  const fault = (raw: unknown): { code: string; path: string } => {
    try {
      parseEnqueueItems(raw, 'Items');
    } catch (error) {
      return { code: (error as { code: string }).code, path: (error as { path: string }).path };
    }
    throw new Error('expected a fault');
  };

  it('applies the single-enqueue defaults', () => {
    expect(parseEnqueueItems([{ KeyValues: { a: 1 }, Data: null }], 'Items')).toEqual([
      { tags: { a: 1 }, data: null, updateable: true, retryAttempts: 0, retryPosition: 'front', timeoutMs: 60_000 },
    ]);
  });

  it('parses every field', () => {
    const [item] = parseEnqueueItems(
      [{ KeyValues: { a: 'x' }, Data: { d: 1 }, Updateable: false, RetryAttempts: 3, RetryPosition: 'back', Timeout: '2s' }],
      'Items',
    );
    expect(item).toEqual({ tags: { a: 'x' }, data: { d: 1 }, updateable: false, retryAttempts: 3, retryPosition: 'back', timeoutMs: 2_000 });
  });

  it.each([
    [undefined, 'Items'],
    [[], 'Items'],
    [Array.from({ length: 1_001 }, () => ({ KeyValues: { a: 1 }, Data: 1 })), 'Items'],
    [[{ KeyValues: { a: 1 }, Data: 1 }, 'text'], 'Items[1]'],
    [[{ KeyValues: { a: 1 }, Data: 1, Selections: 1 }], 'Items[0].Selections'],
    [[{ KeyValues: { a: 1 } }], 'Items[0].Data'],
    [[{ KeyValues: { _a: 1 }, Data: 1 }], 'Items[0].KeyValues._a'],
    [[{ KeyValues: { a: 1 }, Data: 1, Updateable: 'yes' }], 'Items[0].Updateable'],
    [[{ KeyValues: { a: 1 }, Data: 1, RetryAttempts: 1.5 }], 'Items[0].RetryAttempts'],
    [[{ KeyValues: { a: 1 }, Data: 1, RetryPosition: 'middle' }], 'Items[0].RetryPosition'],
    [[{ KeyValues: { a: 1 }, Data: 1, Timeout: '1ms' }], 'Items[0].Timeout'],
  ])('refuses %j at %s', (raw, path) => {
    expect(fault(raw)).toEqual({ code: 'INVALID_INPUT', path });
  });
});
