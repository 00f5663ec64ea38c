import { WriteBatcher } from './write-batcher';

describe('WriteBatcher', () => {
  function recording(fail?: (inputs: readonly number[]) => unknown) {
    const batches: number[][] = [];
    const waiting: Array<() => void> = [];
    const batcher = new WriteBatcher<number, string>(async (_line, inputs) => {
      batches.push([...inputs]);
      await new Promise<void>((resolve) => waiting.push(resolve));
      const error = fail?.(inputs);
      if (error) throw error;
      return inputs.map((n) => (n < 0 ? { status: 'rejected', reason: new Error(`bad ${n}`) } : { status: 'fulfilled', value: `ok ${n}` }));
    }, 5);
    /** Lets every batch in flight finish. */
    const release = () => waiting.splice(0).forEach((resolve) => resolve());
    return { batcher, batches, release };
  }

  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('writes a lone request at once and what arrives meanwhile as the next batch, in order', async () => {
    const { batcher, batches, release } = recording();
    const first = batcher.submit('q', 1, 1);
    const rest = [2, 3, 4].map((n) => batcher.submit('q', n, 1));
    await tick();
    expect(batches).toEqual([[1]]);
    release();
    await expect(first).resolves.toBe('ok 1');
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    release();
    await expect(Promise.all(rest)).resolves.toEqual(['ok 2', 'ok 3', 'ok 4']);
  });

  it('runs the lanes of a line side by side, each in arrival order', async () => {
    const batches: number[][] = [];
    const waiting: Array<() => void> = [];
    const batcher = new WriteBatcher<number, number>(async (_line, inputs) => {
      batches.push([...inputs]);
      await new Promise<void>((resolve) => waiting.push(resolve));
      return inputs.map((value) => ({ status: 'fulfilled' as const, value }));
    }, 10, 2);
    const all = [1, 2, 3, 4, 5, 6].map((n) => batcher.submit('q', n, 1, n));
    await tick();
    expect(batches).toEqual([[1], [2]]);
    waiting.splice(0).forEach((resolve) => resolve());
    await tick();
    expect(batches).toEqual([[1], [2], [3, 5], [4, 6]]);
    waiting.splice(0).forEach((resolve) => resolve());
    await expect(Promise.all(all)).resolves.toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps lines apart and caps a batch by size (a larger request goes alone)', async () => {
    const { batcher, batches, release } = recording();
    const all = [batcher.submit('a', 1, 1), batcher.submit('b', 2, 1), batcher.submit('a', 3, 3), batcher.submit('a', 4, 3), batcher.submit('a', 5, 9)];
    await tick();
    expect(batches).toEqual([[1], [2]]);
    for (let i = 0; i < 5; i++) {
      release();
      await tick();
    }
    expect(batches).toEqual([[1], [2], [3], [4], [5]]);
    release();
    await expect(Promise.all(all)).resolves.toHaveLength(5);
  });

  it('settles each request with its own result, or all of a batch with the error that failed it', async () => {
    const { batcher, release } = recording((inputs) => (inputs.includes(99) ? new Error('store down') : null));
    const first = batcher.submit('q', 1, 1);
    const bad = batcher.submit('q', -2, 1);
    const good = batcher.submit('q', 3, 1);
    release();
    await first;
    await tick();
    release();
    await expect(bad).rejects.toThrow('bad -2');
    await expect(good).resolves.toBe('ok 3');
    const doomed = [batcher.submit('q', 99, 1)];
    await tick();
    release();
    await expect(doomed[0]).rejects.toThrow('store down');
  });
});
