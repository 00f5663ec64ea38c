import { AnalyzeOnGrowth, analyzeDue } from './analyze-on-growth';

describe(analyzeDue.name, () => {
  it('waits for 1,000 new rows on a small table and for a fifth more on a large one, at most once a second', () => {
    expect(analyzeDue(999, 0, 5_000)).toBe(false);
    expect(analyzeDue(1_000, 0, 5_000)).toBe(true);
    expect(analyzeDue(19_999, 100_000, 5_000)).toBe(false);
    expect(analyzeDue(20_000, 100_000, 5_000)).toBe(true);
    expect(analyzeDue(50_000, 0, 999)).toBe(false);
  });
});

describe(AnalyzeOnGrowth.name, () => {
  it('analyzes as the table grows, one run at a time, and counts what each run saw', async () => {
    let now = 0;
    const runs: string[] = [];
    let finish!: () => void;
    const sut = new AnalyzeOnGrowth('willow_items', async (sql) => {
      runs.push(sql);
      await new Promise<void>((r) => (finish = r));
    }, () => now);
    sut.grew(600);
    expect(runs).toEqual([]);
    sut.grew(600);
    expect(runs).toEqual(['ANALYZE willow_items']);
    now = 5_000;
    sut.grew(5_000); // the first run has not ended: no second one
    expect(runs).toHaveLength(1);
    finish();
    await new Promise((r) => setImmediate(r));
    sut.grew(100); // 1,200 counted; 5,100 grown since: due
    expect(runs).toHaveLength(2);
    finish();
    await new Promise((r) => setImmediate(r));
    now = 10_000;
    sut.grew(1_000); // 6,300 counted: a fifth is 1,260
    expect(runs).toHaveLength(2);
  });
});
