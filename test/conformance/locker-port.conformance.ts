import { parseQuery } from '../../src/common/query';
import type { LockerPort } from '../../src/locker';
import { codeOf } from '../support/limiter-harness';
import { waitUntil } from '../support/wait';
import type { PortsFactory, PortsUnderTest } from './support/port-fixture';

const ALL = parseQuery({}, '');
const PAGE = { limit: 100, cursor: null };

/** LockerPort behaviour every implementation shows: the service in-process, and LockerRpcClient over a transport. */
export function describeLockerPort(label: string, make: PortsFactory): void {
  describe(`LockerPort [${label}]`, () => {
    let fx: PortsUnderTest;
    let sut: LockerPort;
    beforeEach(async () => {
      fx = await make();
      sut = fx.locker;
    });
    afterEach(() => fx.dispose());

    const acquire = (tags: Record<string, string>, waitMs = 0, signal?: AbortSignal) => sut.acquire({ tags, timeoutMs: 30_000, waitMs }, signal);
    /** Until the (only) lock has `n` waiters in line. */
    const waiters = (n: number) => waitUntil(async () => ((await sut.list(ALL, PAGE)).items[0]?.waiters ?? 0) === n);

    it('grants a free lock, renews it, lists it without the session, and releases it', async () => {
      const grant = (await acquire({ repo: 'w' }))!;
      expect(grant).toMatchObject({ tags: { repo: 'w' }, timeoutMs: 30_000 });
      expect(typeof grant.sessionId).toBe('string');
      const renewed = await sut.heartbeat({ lockId: grant.lockId, sessionId: grant.sessionId });
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThanOrEqual(Date.parse(grant.expiresAt));
      const listed = await sut.list(ALL, PAGE);
      expect(listed.items).toEqual([{ lockId: grant.lockId, tags: { repo: 'w' }, fencingToken: grant.fencingToken, expiresAt: renewed.expiresAt, waiters: 0 }]);
      await sut.release({ lockId: grant.lockId, sessionId: grant.sessionId });
      expect((await sut.list(ALL, PAGE)).items).toEqual([]);
    });

    it('answers null, not an error, when a held lock is not granted within Wait', async () => {
      await acquire({ repo: 'w' });
      expect(await acquire({ repo: 'w' }, 0)).toBeNull();
      expect(await acquire({ repo: 'w' }, 150)).toBeNull();
    });

    it('grants a waiter when the holder releases, with a higher fencing token', async () => {
      const first = (await acquire({ repo: 'w' }))!;
      const waiting = acquire({ repo: 'w' }, 5_000);
      await waiters(1);
      await sut.release({ lockId: first.lockId, sessionId: first.sessionId });
      const second = (await waiting)!;
      expect(second.lockId).toBe(first.lockId);
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    });

    it('never grants an aborted waiter, and leaves the lock free for the next one', async () => {
      const first = (await acquire({ repo: 'w' }))!;
      const abort = new AbortController();
      const waiting = acquire({ repo: 'w' }, 5_000, abort.signal);
      await waiters(1);
      abort.abort();
      expect(await waiting).toBeNull();
      await sut.release({ lockId: first.lockId, sessionId: first.sessionId });
      // Nobody holds it once the aborted waiter has left the line (over a transport, when the serving side hears).
      await waitUntil(async () => (await sut.list(ALL, PAGE)).items.length === 0);
      expect(await acquire({ repo: 'w' })).not.toBeNull();
    });

    it('keeps the stable codes: SESSION_INVALID, LOCK_NOT_FOUND, INVALID_INPUT with its path', async () => {
      const grant = (await acquire({ repo: 'w' }))!;
      expect(await codeOf(sut.heartbeat({ lockId: grant.lockId, sessionId: 'nope' }))).toBe('SESSION_INVALID');
      expect(await codeOf(sut.release({ lockId: grant.lockId, sessionId: 'nope' }))).toBe('SESSION_INVALID');
      expect(await codeOf(sut.heartbeat({ lockId: 'no-such-lock', sessionId: grant.sessionId }))).toBe('LOCK_NOT_FOUND');
      const invalid = await sut.acquire({ tags: { repo: 'w' }, timeoutMs: 1, waitMs: 0 }).catch((e: unknown) => e);
      expect(invalid).toMatchObject({ code: 'INVALID_INPUT', details: { Path: 'Timeout' } });
    });
  });
}
