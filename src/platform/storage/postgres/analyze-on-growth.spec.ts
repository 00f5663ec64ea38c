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

/** The database as the instances' refreshes meet it: when the table was last analyzed, and the statements sent. */
class FakeDatabase {
  now = 0;
  analyzedAt: number | null = null;
  readonly statements: string[] = [];
  /** When set, statements wait for `finish()`. */
  hold = false;
  private waiting: Array<() => void> = [];

  readonly query = async (sql: string): Promise<object[]> => {
    const analyze = sql.startsWith('ANALYZE');
    this.statements.push(analyze ? sql : 'last analyze');
    if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (analyze) {
      this.analyzedAt = this.now;
      return [];
    }
    return [{ sinceAnalyzeMs: this.analyzedAt === null ? null : this.now - this.analyzedAt }];
  };

  finish(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  get analyzes(): number {
    return this.statements.filter((s) => s.startsWith('ANALYZE')).length;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(AnalyzeOnGrowth.name, () => {
  it('analyzes as the table grows, one run at a time, and counts what each run saw', async () => {
    const db = new FakeDatabase();
    const sut = new AnalyzeOnGrowth('willow_items', db.query, () => db.now);
    sut.grew(600);
    expect(db.statements).toEqual([]);
    db.hold = true;
    sut.grew(600);
    expect(db.statements).toEqual(['last analyze']);
    db.now = 5_000;
    sut.grew(5_000); // the first refresh has not ended: no second one
    expect(db.statements).toHaveLength(1);
    db.hold = false;
    db.finish();
    await settle();
    expect(db.statements).toEqual(['last analyze', 'ANALYZE (SKIP_LOCKED) willow_items']);
    sut.grew(100); // 1,200 counted; 5,100 grown since: due
    await settle();
    expect(db.analyzes).toBe(2);
    db.now = 10_000;
    sut.grew(1_000); // 6,300 counted: a fifth is 1,260
    await settle();
    expect(db.analyzes).toBe(2);
  });

  it("leaves a table that another instance analyzed since this one's last refresh, and counts on", async () => {
    const db = new FakeDatabase();
    const mine = new AnalyzeOnGrowth('willow_items', db.query, () => db.now);
    const theirs = new AnalyzeOnGrowth('willow_items', db.query, () => db.now);
    db.now = 10_000;
    theirs.grew(1_000);
    await settle();
    expect(db.analyzes).toBe(1);
    db.now = 10_200;
    mine.grew(1_000); // due by this instance's count, but the table was analyzed since (it never refreshed before)
    await settle();
    expect(db.statements).toEqual(['last analyze', 'ANALYZE (SKIP_LOCKED) willow_items', 'last analyze']);
    db.now = 12_000;
    mine.grew(199); // 1,000 counted: not yet a fifth more (nor 1,000 rows)
    await settle();
    expect(db.statements).toHaveLength(3);
    mine.grew(801); // due; the last ANALYZE (10,000) ended before this instance's last refresh (10,200)
    await settle();
    expect(db.analyzes).toBe(2);
    db.now = 14_000;
    theirs.grew(1_000); // due by their count; analyzed 2,000 ms ago, after their last refresh (4,000 ms ago)
    await settle();
    expect(db.analyzes).toBe(2);
  });

  it("analyzes on this instance's own count when the table's statistics cannot be read", async () => {
    let analyzes = 0;
    const sut = new AnalyzeOnGrowth('willow_items', async (sql) => {
      if (sql.startsWith('ANALYZE')) analyzes++;
      return [];
    });
    sut.grew(1_000);
    await settle();
    expect(analyzes).toBe(1);
  });
});
