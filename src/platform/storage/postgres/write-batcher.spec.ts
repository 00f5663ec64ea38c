import { WriteBatcher } from './write-batcher';

describe('WriteBatcher', () => {
  /** A negative input fails its batch with "bad <n>" (written again alone); 99 fails it with "store down". */
  function recording() {
    const batches: number[][] = [];
    const waiting: Array<() => void> = [];
    const batcher = new WriteBatcher<number, string>(
      async (_line, inputs) => {
        batches.push([...inputs]);
        await new Promise<void>((resolve) => waiting.push(resolve));
        if (inputs.includes(99)) throw new Error('store down');
        const bad = inputs.find((n) => n < 0);
        if (bad !== undefined) throw new Error(`bad ${bad}`);
        return inputs.map((n) => `ok ${n}`);
      },
      { maxSize: 5, retryAlone: (error) => (error as Error).message.startsWith('bad') },
    );
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

  it('writes a failed batch again request by request when told to, else fails all of it with the error', async () => {
    const { batcher, batches, release } = recording();
    const first = batcher.submit('q', 1, 1);
    const bad = batcher.submit('q', -2, 1);
    const good = batcher.submit('q', 3, 1);
    release();
    await first;
    for (let i = 0; i < 3; i++) {
      await tick();
      release();
    }
    await expect(bad).rejects.toThrow('bad -2');
    await expect(good).resolves.toBe('ok 3');
    expect(batches).toEqual([[1], [-2, 3], [-2], [3]]);
    const held = batcher.submit('q', 1, 1);
    const doomed = [batcher.submit('q', 99, 1), batcher.submit('q', 4, 1)];
    await tick();
    release();
    await held;
    await tick();
    release();
    await expect(doomed[0]).rejects.toThrow('store down');
    await expect(doomed[1]).rejects.toThrow('store down');
    expect(batches.slice(4)).toEqual([[1], [99, 4]]);
  });
});
