import { Subject } from 'rxjs';
import { StoreUnavailableError } from '../../common/errors';
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
  let sut: DecrementRetries;
  const change = (opId: string) => ({ tags: { team: 'a' }, counters: 1, opId });
  const settled = async () => {
    for (let i = 0; i < 200 && sut.size > 0; i++) await new Promise((r) => setTimeout(r, 25));
  };
  beforeEach(() => {
    limiter = new FlakyLimiter();
    guard = new CounterGuard();
    sut = new DecrementRetries(limiter as unknown as LimiterPort, (fn) => guard.shared(fn));
  });
  afterEach(() => sut.stop());

  it('sends each pending decrement again, with its opId, until it is answered', async () => {
    limiter.failing = 2;
    sut.add(change('x:1'));
    sut.add(change('y:1'));
    expect(sut.size).toBe(2);
    await settled();
    expect(sut.size).toBe(0);
    expect([...limiter.applied].sort()).toEqual(['x:1', 'y:1']);
    expect(new Set(limiter.sent.map((c) => c.opId))).toEqual(new Set(['x:1', 'y:1']));
  });

  it('drops what a reconciliation cleared, even a retry already waiting for the guard', async () => {
    sut.add(change('x:1'));
    await guard.alone(async () => {
      await new Promise((r) => setTimeout(r, 400)); // the retry is due meanwhile and waits for the guard
      sut.clear();
    });
    await settled();
    expect(limiter.sent).toEqual([]);
  });
});
