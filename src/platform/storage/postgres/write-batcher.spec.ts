import { WriteBatcher } from './write-batcher';

describe('WriteBatcher', () => {
  /** A negative input fails its batch with "bad <n>" (written again in parts); 99 fails it with "store down". */
  function recording(inFlight?: number, overlapFrom?: number) {
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
      { maxSize: 5, inFlight, overlapFrom, retryInParts: (error) => (error as Error).message.startsWith('bad') },
    );
    /** Lets every batch in flight finish. */
    const release = () => waiting.splice(0).forEach((resolve) => resolve());
    /** Lets the batch in flight that started first finish. */
    const releaseFirst = () => waiting.shift()?.();
    return { batcher, batches, release, releaseFirst };
  }

  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('writes a lone request at once and what arrives meanwhile as the next batch, in order', async () => {
    const { batcher, batches, release } = recording();
    const first = batcher.submit('q', 1, 1);
    await tick();
    expect(batches).toEqual([[1]]);
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

  it('writes the requests made in one turn together, with one batch of a line in flight at a time', async () => {
    const { batcher, batches, release } = recording();
    const made = [1, 2, 3].map((n) => batcher.submit('q', n, 1));
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);
    const next = batcher.submit('q', 4, 1);
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    await expect(Promise.all(made)).resolves.toEqual(['ok 1', 'ok 2', 'ok 3']);
    await tick();
    expect(batches).toEqual([[1, 2, 3], [4]]);
    release();
    await expect(next).resolves.toBe('ok 4');
  });

  it('with inFlight 2, sends the next batch while one is written, and a third only once one of them is done', async () => {
    const { batcher, batches, release, releaseFirst } = recording(2);
    const first = batcher.submit('q', 1, 1);
    await tick();
    const second = [2, 3].map((n) => batcher.submit('q', n, 1));
    await tick();
    expect(batches).toEqual([[1], [2, 3]]);
    const third = [4, 5].map((n) => batcher.submit('q', n, 1));
    await tick();
    expect(batches).toEqual([[1], [2, 3]]);
    releaseFirst();
    await expect(first).resolves.toBe('ok 1');
    await tick();
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
    release();
    await expect(Promise.all([...second, ...third])).resolves.toEqual(['ok 2', 'ok 3', 'ok 4', 'ok 5']);
    // The line is done: a new request starts a batch of its own at once.
    const later = batcher.submit('q', 6, 1);
    await tick();
    expect(batches).toEqual([[1], [2, 3], [4, 5], [6]]);
    release();
    await expect(later).resolves.toBe('ok 6');
  });

  it('with overlapFrom, starts a second batch while one is written only once that many units wait', async () => {
    const { batcher, batches, release, releaseFirst } = recording(2, 3);
    const first = batcher.submit('q', 1, 1);
    await tick();
    // Two units wait behind the batch in flight: below 3, they gather for the batch after it.
    const small = [2, 3].map((n) => batcher.submit('q', n, 1));
    await tick();
    expect(batches).toEqual([[1]]);
    // A third unit reaches the threshold: the waiting requests go out as a second batch at once.
    const third = batcher.submit('q', 4, 1);
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    // A large request alone reaches it too, but two batches are in flight already: it waits for one to end.
    const large = batcher.submit('q', 5, 3);
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    releaseFirst();
    await expect(first).resolves.toBe('ok 1');
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    // With one batch in flight, a lone small request waits for it: nothing else is in flight beside it.
    releaseFirst();
    await expect(Promise.all([...small, third])).resolves.toEqual(['ok 2', 'ok 3', 'ok 4']);
    const lone = batcher.submit('q', 6, 1);
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    release();
    await expect(large).resolves.toBe('ok 5');
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4], [5], [6]]);
    release();
    await expect(lone).resolves.toBe('ok 6');
  });

  it('keeps lines apart and caps a batch by size (a larger request goes alone)', async () => {
    const { batcher, batches, release } = recording();
    const all = [batcher.submit('a', 1, 1), batcher.submit('b', 2, 1), batcher.submit('a', 3, 3), batcher.submit('a', 4, 3), batcher.submit('a', 5, 9)];
    await tick();
    expect(batches).toEqual([[1, 3], [2]]);
    for (let i = 0; i < 3; i++) {
      release();
      await tick();
    }
    expect(batches).toEqual([[1, 3], [2], [4], [5]]);
    release();
    await expect(Promise.all(all)).resolves.toHaveLength(5);
  });

  /** Releases every batch as it starts until `done` settles. */
  async function releaseUntil(done: Promise<unknown>, release: () => void): Promise<void> {
    let settled = false;
    void done.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      release();
      await tick();
    }
  }

  it('writes a failed batch again in halves, down to the request that fails, when told to', async () => {
    const { batcher, batches, release } = recording();
    // Size 0: all eight fit one batch.
    const all = [1, 2, 3, 4, 5, -6, 7, 8].map((n) => batcher.submit('q', n, 0));
    await releaseUntil(Promise.allSettled(all), release);
    const outcomes = await Promise.allSettled(all);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5', 'bad -6', 'ok 7', 'ok 8',
    ]);
    // 7 transactions where request by request took 9 (about 2 log2(n) rather than n + 1).
    expect(batches).toEqual([[1, 2, 3, 4, 5, -6, 7, 8], [1, 2, 3, 4], [5, -6, 7, 8], [5, -6], [5], [-6], [7, 8]]);
  });

  it('fails every request of a batch with the error when not told to write it again', async () => {
    const { batcher, batches, release } = recording();
    const held = batcher.submit('q', 1, 1);
    await tick();
    const doomed = [batcher.submit('q', 99, 1), batcher.submit('q', 4, 1)];
    await releaseUntil(Promise.allSettled([held, ...doomed]), release);
    await expect(held).resolves.toBe('ok 1');
    await expect(doomed[0]).rejects.toThrow('store down');
    await expect(doomed[1]).rejects.toThrow('store down');
    expect(batches).toEqual([[1], [99, 4]]);
  });
});
