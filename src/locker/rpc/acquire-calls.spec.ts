import { AcquireCalls } from './acquire-calls';

const GRANT = { lockId: 'l1', sessionId: 's1' };

describe(AcquireCalls.name, () => {
  it('aborts a wait in progress on cancel', () => {
    const sut = new AcquireCalls();
    const signal = sut.start('c1');
    expect(sut.cancel('c1')).toBeNull();
    expect(signal.aborted).toBe(true);
  });

  it('hands back a grant made before the cancel arrived, once, so it can be released', () => {
    const sut = new AcquireCalls();
    sut.start('c1');
    sut.finish('c1', GRANT);
    expect(sut.cancel('c1')).toEqual(GRANT);
    expect(sut.cancel('c1')).toBeNull();
  });

  it('starts a call whose cancel overtook it already aborted', () => {
    const sut = new AcquireCalls();
    expect(sut.cancel('c1')).toBeNull();
    expect(sut.start('c1').aborted).toBe(true);
  });

  it('forgets finished calls after a minute', () => {
    let now = 0;
    const sut = new AcquireCalls(() => now);
    sut.start('c1');
    sut.finish('c1', GRANT);
    now = 61_000;
    sut.start('c2');
    expect(sut.cancel('c1')).toBeNull();
  });
});
