import fc from 'fast-check';
import { DeadlineQueue } from './deadline-queue';

describe(DeadlineQueue.name, () => {
  let sut: DeadlineQueue<string>;
  beforeEach(() => {
    sut = new DeadlineQueue<string>();
  });

  it('has no next deadline and nothing due while empty', () => {
    expect(sut.size).toBe(0);
    expect(sut.nextAt()).toBeNull();
    expect(sut.popDue(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('reports the earliest deadline whatever the push order', () => {
    sut.push('late', 300);
    sut.push('early', 100);
    sut.push('middle', 200);
    expect(sut.nextAt()).toBe(100);
    expect(sut.size).toBe(3);
  });

  it('pops exactly the entries due by now (deadline included), earliest first, and keeps the rest', () => {
    sut.push('c', 300);
    sut.push('a', 100);
    sut.push('b', 200);
    sut.push('d', 201);
    expect(sut.popDue(99)).toEqual([]);
    expect(sut.popDue(200)).toEqual(['a', 'b']);
    expect(sut.size).toBe(2);
    expect(sut.nextAt()).toBe(201);
    expect(sut.popDue(1_000)).toEqual(['d', 'c']);
    expect(sut.nextAt()).toBeNull();
  });

  it('keeps every push of the same value apart: a renewed lease adds a later deadline, the stale one still pops', () => {
    sut.push('lease', 100);
    sut.push('lease', 500);
    expect(sut.size).toBe(2);
    expect(sut.popDue(100)).toEqual(['lease']);
    expect(sut.nextAt()).toBe(500);
    expect(sut.popDue(500)).toEqual(['lease']);
  });

  it('forgets everything on clear', () => {
    sut.push('a', 1);
    sut.push('b', 2);
    sut.clear();
    expect(sut.size).toBe(0);
    expect(sut.nextAt()).toBeNull();
    expect(sut.popDue(10)).toEqual([]);
  });

  it('pops every deadline once, in time order, across random pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 1_000 }) }), fc.record({ pop: fc.integer({ min: 0, max: 1_000 }) })), {
          maxLength: 150,
          size: 'max',
        }),
        (ops) => {
          const queue = new DeadlineQueue<number>();
          let model: number[] = [];
          for (const o of ops) {
            if ('push' in o) {
              queue.push(o.push, o.push);
              model.push(o.push);
            } else {
              const due = model.filter((at) => at <= o.pop).sort((a, b) => a - b);
              model = model.filter((at) => at > o.pop);
              expect(queue.popDue(o.pop)).toEqual(due);
            }
            expect(queue.size).toBe(model.length);
            expect(queue.nextAt()).toBe(model.length ? Math.min(...model) : null);
          }
        },
      ),
    );
  });
});
