import { KnownQueues } from './known-queues';

describe(KnownQueues.name, () => {
  it('knows a queue the store confirmed, until it is forgotten', () => {
    const known = new KnownQueues();
    expect(known.has('builds')).toBe(false);
    known.confirm('builds', known.mark());
    expect(known.has('builds')).toBe(true);
    known.forget('builds');
    expect(known.has('builds')).toBe(false);
  });

  it('takes no confirmation from a read that started before a deletion, of that queue or another', () => {
    const known = new KnownQueues();
    const before = known.mark();
    known.forget('builds'); // deleted while the read was in flight
    known.confirm('builds', before);
    known.confirm('tests', before);
    expect(known.has('builds')).toBe(false);
    expect(known.has('tests')).toBe(false);
    known.confirm('builds', known.mark());
    expect(known.has('builds')).toBe(true);
  });

  it('forgets every queue at once (a resync), and any read in flight with them', () => {
    const known = new KnownQueues();
    known.confirm('builds', known.mark());
    known.confirm('tests', known.mark());
    const before = known.mark();
    known.forgetAll();
    known.confirm('deploys', before);
    expect([known.has('builds'), known.has('tests'), known.has('deploys'), known.size]).toEqual([false, false, false, 0]);
  });
});
