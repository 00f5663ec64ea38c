import { parseQuery } from '../../../common/query';
import { canonicalTags, type Tags } from '../../../common/tags';
import { QueueIndex, type HeadChange } from './queue-index';

const ALL = { key: '{}', query: parseQuery({}) };
const LINUX = { key: 'linux', query: parseQuery({ Where: { os: 'linux' } }) };

/** DESIGN §7.8 in the dispatch index: channels compete by head priority, then by wait; a head not yet due holds its channel. */
describe('QueueIndex: priority and due times', () => {
  let now: number;
  let armed: number[];
  let sut: QueueIndex;
  beforeEach(() => {
    now = 1_000;
    armed = [];
    sut = new QueueIndex(undefined, { now: () => now, scheduled: (dueAt) => armed.push(dueAt) });
  });

  const put = (tags: Tags, head: HeadChange, waiting = 1) => {
    const c = sut.channel(canonicalTags(tags), tags);
    sut.apply(c, { waiting, ...head });
    return c;
  };
  const best = (view = ALL) => sut.best(view.key, view.query)?.tags ?? null;

  it('serves the highest head priority first, then the head that has waited longest', () => {
    put({ n: 'old' }, { headSeq: 1 });
    put({ n: 'urgent' }, { headSeq: 9, headPriority: 5 });
    put({ n: 'low' }, { headSeq: 0, headPriority: -3 });
    expect(best()).toEqual({ n: 'urgent' });
    sut.apply(sut.get(canonicalTags({ n: 'urgent' }))!, { waiting: -1, headSeq: null });
    expect(best()).toEqual({ n: 'old' });
    // A new head of a higher priority moves its channel ahead in every view at once (O(log n), no rebuild).
    sut.apply(sut.get(canonicalTags({ n: 'low' }))!, { headSeq: 0, headPriority: 1 });
    expect(best()).toEqual({ n: 'low' });
  });

  it('holds a channel whose head is not yet due, reports its due time, and releases it at that time', () => {
    const late = put({ os: 'linux', n: 1 }, { headSeq: 1, headDueAt: 5_000 }, 3);
    put({ os: 'mac' }, { headSeq: 2 });
    expect(late.ready).toBe(false);
    expect(armed).toEqual([5_000]);
    expect(sut.nextDueAt()).toBe(5_000);
    expect(sut.scheduledChannels).toBe(1);
    expect(best(LINUX)).toBeNull();
    expect(best()).toEqual({ os: 'mac' });

    now = 4_999;
    expect(sut.releaseDue(now)).toEqual([]);
    now = 5_000;
    expect(sut.releaseDue(now)).toEqual([late]);
    expect(sut.nextDueAt()).toBeNull();
    expect(best(LINUX)).toEqual({ os: 'linux', n: 1 });
  });

  it('treats a head whose due time has passed as due, and forgets the due time of a channel that emptied', () => {
    const past = put({ n: 1 }, { headSeq: 1, headDueAt: 999 });
    expect(past.ready).toBe(true);
    expect(armed).toEqual([]);
    const later = put({ n: 2 }, { headSeq: 2, headDueAt: 2_000 });
    expect(sut.nextDueAt()).toBe(2_000);
    sut.apply(later, { waiting: -1, headSeq: null });
    expect(sut.nextDueAt()).toBeNull();
    expect(sut.channelCount).toBe(1);
  });

  it('releases several channels due by the same time in due order, and keeps the later ones', () => {
    put({ n: 3 }, { headSeq: 3, headDueAt: 3_000 });
    const one = put({ n: 1 }, { headSeq: 1, headDueAt: 1_500 });
    const two = put({ n: 2 }, { headSeq: 2, headDueAt: 2_000 });
    now = 2_500;
    expect(sut.releaseDue(now)).toEqual([one, two]);
    expect(sut.nextDueAt()).toBe(3_000);
  });
});
