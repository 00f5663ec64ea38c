import { FakeScheduler } from '../../common/fake-scheduler';
import { CapacityLog } from './capacity-log';

describe(CapacityLog.name, () => {
  it('answers the current cursor and no events to a first read, then the events after a cursor', () => {
    const sut = new CapacityLog(new FakeScheduler());
    const start = sut.read(null)!;
    expect(start.events).toEqual([]);
    expect(sut.read(start.cursor)).toBeNull();
    sut.append({ tags: { a: 1 } });
    sut.append({ tags: null });
    const page = sut.read(start.cursor)!;
    expect(page.events).toEqual([{ tags: { a: 1 } }, { tags: null }]);
    expect(sut.read(page.cursor)).toBeNull();
  });

  it('answers {tags: null} ("check everything") to a cursor that fell out of the ring or comes from another stream', () => {
    const sut = new CapacityLog(new FakeScheduler(), 2);
    const start = sut.read(null)!;
    for (const a of [1, 2, 3]) sut.append({ tags: { a } });
    expect(sut.read(start.cursor)!.events).toEqual([{ tags: null }]);
    expect(new CapacityLog(new FakeScheduler()).read(start.cursor)!.events).toEqual([{ tags: null }]);
    expect(sut.read('garbage')!.events).toEqual([{ tags: null }]);
  });

  it('holds a poll until an event arrives, and ends every poll on close', async () => {
    const sut = new CapacityLog(new FakeScheduler());
    const { cursor } = sut.read(null)!;
    const polled = sut.poll(cursor, 10_000);
    sut.append({ tags: { a: 1 } });
    expect((await polled).events).toEqual([{ tags: { a: 1 } }]);
    const next = sut.poll((await polled).cursor, 10_000);
    sut.close();
    expect((await next).events).toEqual([]);
  });

  it('answers an empty page to a poll when nothing happened within its wait', async () => {
    const time = new FakeScheduler();
    const sut = new CapacityLog(time);
    const { cursor } = sut.read(null)!;
    let page: unknown = null;
    void sut.poll(cursor, 10_000).then((p) => (page = p));
    await time.advance(9_999);
    expect(page).toBeNull();
    await time.advance(1);
    expect(page).toEqual({ cursor, events: [] });
    expect(time.pending).toBe(0);
  });
});
