import fc from 'fast-check';
import type { NewItem } from '../willow.port';
import { assertRoom, channelsOf, decideEnqueue, planEnqueue, type EnqueueInput, type LastWaiting } from './enqueue-plan';

const item = (updateable: boolean, extra: Partial<NewItem> = {}): NewItem => ({
  tags: {}, data: null, updateable, retryAttempts: 0, retryPosition: 'front', timeoutMs: 60_000, ...extra,
});
const entry = (key: string, data: string, updateable = true) => ({ key, item: item(updateable), data });
const stored = (entries: Record<string, LastWaiting>) => new Map(Object.entries(entries));

describe(decideEnqueue.name, () => {
  it.each([
    [null, 'append'],
    [{ updateable: true }, 'collapse'],
    [{ updateable: false }, 'append'],
  ] as const)('last waiting item %j → %s', (lastWaiting, decision) => {
    expect(decideEnqueue(lastWaiting)).toBe(decision);
  });
});

describe(planEnqueue.name, () => {
  it('appends into an empty channel and behind a last waiting item that is not updateable', () => {
    const sut = planEnqueue([entry('a', '1'), entry('b', '2')], stored({ b: { seq: 4, id: 'B', updateable: false } }));
    expect(sut.outcomes.map((o) => [o.key, o.collapsed])).toEqual([['a', false], ['b', false]]);
    expect(sut.inserts.map((w) => [w.key, w.data, w.id])).toEqual([['a', '1', sut.outcomes[0].id], ['b', '2', sut.outcomes[1].id]]);
    expect(sut.collapses.size).toBe(0);
  });

  it('collapses into a stored updateable last waiting item, keeping its id and place; the last write wins', () => {
    const sut = planEnqueue([entry('a', '1'), entry('a', '2')], stored({ a: { seq: 9, id: 'A', updateable: true } }));
    const collapsed = { id: 'A', collapsed: true, key: 'a', priority: 0, reordered: false };
    expect(sut.outcomes).toEqual([collapsed, collapsed]);
    expect(sut.inserts).toEqual([]);
    expect([...sut.collapses]).toEqual([[9, { id: 'A', key: 'a', item: item(true), data: '2' }]]);
  });

  it('with Updateable false replaces an updateable tail, and the next item is appended behind it', () => {
    const sut = planEnqueue([entry('a', '1', false), entry('a', '2')], stored({ a: { seq: 9, id: 'A', updateable: true } }));
    expect(sut.outcomes.map((o) => o.collapsed)).toEqual([true, false]);
    expect(sut.collapses.get(9)).toMatchObject({ data: '1', item: { updateable: false } });
    expect(sut.inserts.map((w) => w.data)).toEqual(['2']);
  });

  it('collapses items of one batch into each other as if sent one by one', () => {
    const sut = planEnqueue([entry('a', '1'), entry('b', 'x', false), entry('a', '2'), entry('a', '3', false), entry('a', '4')], new Map());
    expect(sut.outcomes.map((o) => o.collapsed)).toEqual([false, false, true, true, false]);
    expect(sut.outcomes[2].id).toBe(sut.outcomes[0].id);
    expect(sut.inserts.map((w) => [w.key, w.data, w.item.updateable])).toEqual([['a', '3', false], ['b', 'x', false], ['a', '4', true]]);
  });

  it('plans a batch as the same items sent one by one would leave the lines', () => {
    type Line = Map<string, Array<{ seq: number; data: string; updateable: boolean }>>;
    let nextSeq = 0;
    /** Plans `items` against the lines' last waiting items and writes the plan into the lines. */
    const send = (lines: Line, items: EnqueueInput): boolean[] => {
      const last = new Map([...lines].flatMap(([key, line]) => line.slice(-1).map((t) => [key, { ...t, id: String(t.seq) }] as const)));
      const plan = planEnqueue(items, last);
      for (const [seq, w] of plan.collapses) Object.assign(lines.get(w.key)!.find((t) => t.seq === seq)!, { data: w.data, updateable: w.item.updateable });
      for (const w of plan.inserts) lines.set(w.key, [...(lines.get(w.key) ?? []), { seq: ++nextSeq, data: w.data, updateable: w.item.updateable }]);
      return plan.outcomes.map((o) => o.collapsed);
    };
    const shape = (lines: Line) => [...lines].map(([key, line]) => [key, line.map((t) => [t.data, t.updateable])]).sort();
    const entries = fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.boolean()), { maxLength: 12 });
    fc.assert(
      fc.property(entries, entries, (before, batch) => {
        const items = batch.map(([key, updateable], i) => entry(key, String(i), updateable));
        const together: Line = new Map();
        const oneByOne: Line = new Map();
        for (const [key, updateable] of before) for (const lines of [together, oneByOne]) send(lines, [entry(key, 'old', updateable)]);
        const collapsedTogether = send(together, items);
        const collapsedOneByOne = items.flatMap((x) => send(oneByOne, [x]));
        expect(collapsedTogether).toEqual(collapsedOneByOne);
        expect(shape(together)).toEqual(shape(oneByOne));
      }),
    );
  });

  it('names each channel once', () => {
    expect(channelsOf([entry('a', '1'), entry('b', '2'), entry('a', '3')])).toEqual(['a', 'b']);
  });
});

describe(assertRoom.name, () => {
  it('counts only new items against MaxItems', () => {
    expect(() => assertRoom('q', { maxItems: 3, items: 1 }, 2)).not.toThrow();
    expect(() => assertRoom('q', { maxItems: 3, items: 5 }, 0)).not.toThrow();
    expect(() => assertRoom('q', { maxItems: -1, items: 1e9 }, 1_000)).not.toThrow();
  });

  it('refuses what does not fit with QUEUE_FULL, naming the bound and the count', () => {
    expect(() => assertRoom('q', { maxItems: 3, items: 2 }, 2)).toThrow(expect.objectContaining({ code: 'QUEUE_FULL', details: { MaxItems: 3, Items: 2 } }));
    expect(() => assertRoom('q', { maxItems: 0, items: 0 }, 1)).toThrow(expect.objectContaining({ code: 'QUEUE_FULL' }));
  });
});
