import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { FakeScheduler } from '../../common/fake-scheduler';
import { DEFAULT_TIMING } from '../../config';
import { ShutdownSignal } from './shutdown-signal';

/** Just enough of a ServerResponse: the flags `track` reads and the 'close' event. */
function fakeResponse(state: { writableFinished?: boolean; destroyed?: boolean } = {}): ServerResponse & EventEmitter {
  return Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false, ...state }) as never;
}

describe(ShutdownSignal.name, () => {
  let sut: ShutdownSignal;
  let time: FakeScheduler;
  beforeEach(() => {
    time = new FakeScheduler();
    sut = new ShutdownSignal(time, { timing: { ...DEFAULT_TIMING, drainMs: 3_000 } });
  });

  const settled = async (promise: Promise<unknown>): Promise<boolean> => {
    let done = false;
    void promise.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    return done;
  };

  it('aborts its signal when the application starts shutting down', async () => {
    expect(sut.shuttingDown).toBe(false);
    const onAbort = jest.fn();
    sut.signal.addEventListener('abort', onAbort);
    await sut.beforeApplicationShutdown();
    expect(sut.shuttingDown).toBe(true);
    expect(onAbort).toHaveBeenCalledTimes(1);
  });

  it('finishes shutting down at once when no response is in flight', async () => {
    expect(await settled(sut.beforeApplicationShutdown())).toBe(true);
  });

  it('waits until every response in flight has closed, so answers are written before the sockets go', async () => {
    const first = fakeResponse();
    const second = fakeResponse();
    sut.track(first);
    sut.track(second);
    const shutdown = sut.beforeApplicationShutdown();
    expect(await settled(shutdown)).toBe(false);
    first.emit('close');
    expect(await settled(shutdown)).toBe(false);
    second.emit('close');
    expect(await settled(shutdown)).toBe(true);
  });

  it('aborts before it waits, so long-polls can answer while it drains', async () => {
    const res = fakeResponse();
    sut.track(res);
    sut.signal.addEventListener('abort', () => res.emit('close'));
    expect(await settled(sut.beforeApplicationShutdown())).toBe(true);
  });

  it('stops waiting after the drain deadline (timing.drainMs)', async () => {
    sut.track(fakeResponse());
    const shutdown = sut.beforeApplicationShutdown();
    await time.advance(2_999);
    expect(await settled(shutdown)).toBe(false);
    await time.advance(1);
    expect(await settled(shutdown)).toBe(true);
    expect(time.pending).toBe(0);
  });

  it('does not count responses that were already written or destroyed', async () => {
    sut.track(fakeResponse({ writableFinished: true }));
    sut.track(fakeResponse({ destroyed: true }));
    expect(await settled(sut.beforeApplicationShutdown())).toBe(true);
  });
});
