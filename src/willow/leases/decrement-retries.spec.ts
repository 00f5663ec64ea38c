import { Subject } from 'rxjs';
import { StoreUnavailableError } from '../../common/errors';
import { Backoff } from '../../common/scheduler';
import { FakeScheduler } from '../../common/fake-scheduler';
import type { CapacityFreed, CounterDecrement, CounterValue, LimiterPort } from '../../limiter';
import { DecrementRetries } from './decrement-retries';
import { CounterGuard } from '../domain/leases/counter-guard';

/** A limiter whose decrements fail while `failing` is above 0; applies each opId once, as the real one does. */
class FlakyLimiter {
  failing = 0;
  readonly sent: CounterDecrement[] = [];
  readonly applied = new Set<string>();
  readonly capacityFreed$ = new Subject<CapacityFreed>();

  async decrement(cmd: CounterDecrement): Promise<CounterValue> {
    this.sent.push(cmd);
    if (this.failing > 0 && this.failing--) throw new StoreUnavailableError('connection lost');
    this.applied.add(cmd.opId!);
    return { tags: cmd.tags, counters: 0 };
  }
}

describe(DecrementRetries.name, () => {
  let limiter: FlakyLimiter;
  let guard: CounterGuard;
  let time: FakeScheduler;
  let sut: DecrementRetries;
  const change = (opId: string) => ({ tags: { team: 'a' }, counters: 1, opId });
  /** Advances fake time pass by pass (the backoff is at most 1 s here) until nothing is pending. */
  const settled = async () => {
    for (let i = 0; i < 20 && sut.size > 0; i++) await time.advance(1_000);
  };
  beforeEach(() => {
    limiter = new FlakyLimiter();
    guard = new CounterGuard();
    time = new FakeScheduler();
    sut = new DecrementRetries(limiter as unknown as LimiterPort, (fn) => guard.shared(fn), time, new Backoff({ firstMs: 100, maxMs: 1_000 }));
  });
  afterEach(() => sut.stop());

  it('sends each pending decrement again, with its opId, until it is answered, and only when time passes', async () => {
    limiter.failing = 2;
    sut.add(change('x:1'));
    sut.add(change('y:1'));
    expect(sut.size).toBe(2);
    await Promise.resolve();
    expect(limiter.sent).toEqual([]); // nothing is sent before the first backoff delay
    await settled();
    expect(sut.size).toBe(0);
    expect([...limiter.applied].sort()).toEqual(['x:1', 'y:1']);
    expect(new Set(limiter.sent.map((c) => c.opId))).toEqual(new Set(['x:1', 'y:1']));
  });

  it('drops what a reconciliation cleared, even a retry already waiting for the guard', async () => {
    sut.add(change('x:1'));
    await guard.alone(async () => {
      await time.advance(1_000); // the retry is due meanwhile and waits for the guard
      sut.clear();
    });
    await settled();
    expect(limiter.sent).toEqual([]);
  });
});
