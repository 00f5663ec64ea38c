import { FakeScheduler } from '../../common/fake-scheduler';
import { ChannelReads } from './channel-reads';

describe(ChannelReads.name, () => {
  let time: FakeScheduler;
  let reads: Array<{ queue: string; keys: readonly string[] }>;
  /** How long each read takes on the fake clock. */
  let readMs: number;
  let sut: ChannelReads;
  beforeEach(() => {
    time = new FakeScheduler();
    reads = [];
    readMs = 0;
    sut = new ChannelReads(
      async (queue, keys) => {
        reads.push({ queue, keys });
        time.clock.advance(readMs);
      },
      time,
      1_000,
      time.clock,
    );
  });
  afterEach(() => sut.stop());

  const change = (queue: string, ...keys: string[]) => {
    for (const key of keys) sut.note(queue, key);
    sut.start(queue);
  };

  it('reads what was noted once, a pace after, with what was noted meanwhile', async () => {
    change('q', 'a');
    await time.advance(500);
    change('q', 'b', 'a');
    expect(reads).toEqual([]);
    await time.advance(500);
    expect(reads).toEqual([{ queue: 'q', keys: ['a', 'b'] }]);
    change('q', 'c');
    await time.advance(999);
    expect(reads).toHaveLength(1);
    await time.advance(1);
    expect(reads).toEqual([{ queue: 'q', keys: ['a', 'b'] }, { queue: 'q', keys: ['c'] }]);
    expect(sut.size).toBe(0);
  });

  it('reads at once for whoever waits, and answers once what was noted before the call is read', async () => {
    change('q', 'a');
    await expect(sut.done('q')).resolves.toBe(true);
    expect(reads).toEqual([{ queue: 'q', keys: ['a'] }]);
    await expect(sut.done('q')).resolves.toBe(false); // nothing pending
    await time.advance(5_000);
    expect(reads).toHaveLength(1); // the pending timer was taken over by the read
  });

  it('stretches the pace to nine times what the last read took, so paced reads take at most a tenth of the time', async () => {
    readMs = 400;
    change('q', 'a');
    await time.advance(1_000);
    expect(reads).toHaveLength(1);
    change('q', 'b');
    await time.advance(3_500);
    expect(reads).toHaveLength(1);
    await time.advance(100);
    expect(reads).toHaveLength(2); // 9 x 400 ms after it was noted
    readMs = 10;
    change('q', 'c');
    await time.advance(3_599);
    expect(reads).toHaveLength(2);
    await time.advance(1);
    expect(reads).toHaveLength(3);
    change('q', 'd');
    await time.advance(1_000); // back to the pace: the last read was short
    expect(reads).toHaveLength(4);
  });

  it('reads a round of more channels than a batch holds back to back, then waits the pace', async () => {
    change('q', ...Array.from({ length: 2_500 }, (_, i) => `k${i}`));
    await time.advance(1_000);
    expect(reads.map((r) => r.keys.length)).toEqual([1_000, 1_000, 500]);
    change('q', 'late');
    await time.advance(999);
    expect(reads).toHaveLength(3);
    await time.advance(1);
    expect(reads).toHaveLength(4);
  });

  it('answers done() once the channels noted before the call are read, even while more keep being noted', async () => {
    let round = 0;
    const busy = new ChannelReads(
      async (queue, keys) => {
        reads.push({ queue, keys });
        round++;
        // Changed again meanwhile, round after round (bounded, so a wrong rule fails the test instead of hanging it).
        if (round <= 20) for (let i = 0; i < 1_500; i++) busy.note('q', `r${round}-${i}`);
      },
      time,
      1_000,
      time.clock,
    );
    for (let i = 0; i < 1_500; i++) busy.note('q', `k${i}`);
    await expect(busy.done('q')).resolves.toBe(true);
    expect(reads.length).toBeLessThanOrEqual(3);
    busy.stop();
  });

  it('reads at once what a start asks for at once, also while a paced read is in flight: right after it', async () => {
    let release!: () => void;
    const held: Array<readonly string[]> = [];
    const paced = new ChannelReads(
      async (_queue, keys) => {
        held.push(keys);
        if (held.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      time,
      1_000,
      time.clock,
    );
    paced.note('q', 'a');
    paced.start('q'); // paced
    await time.advance(1_000);
    expect(held).toEqual([['a']]);
    paced.note('q', 'b');
    paced.start('q', true); // while 'a' is read
    paced.note('q', 'c');
    paced.start('q'); // paced, but joins the read asked for at once
    release();
    await time.advance(0);
    expect(held).toEqual([['a'], ['b', 'c']]);
    paced.note('q', 'd');
    paced.start('q');
    await time.advance(999);
    expect(held).toHaveLength(2); // a paced start after that waits the pace again
    await time.advance(1);
    expect(held).toEqual([['a'], ['b', 'c'], ['d']]);
    paced.stop();
  });

  it('drops what was noted of a forgotten queue and answers its waiters', async () => {
    change('gone', 'a', 'b');
    expect(sut.size).toBe(2);
    sut.forget('gone');
    expect(sut.size).toBe(0);
    await expect(sut.done('gone')).resolves.toBe(false);
    await time.advance(5_000);
    expect(reads).toEqual([]);
  });
});
