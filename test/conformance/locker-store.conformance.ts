import { canonicalTags, compareCodePoints, type Tags } from '../../src/common/tags';
import { EXPIRED_SESSION_MEMORY_MS } from '../../src/locker/domain/lease';
import type { GrantRequest, LockerStore, StoredLock } from '../../src/locker/locker.store';
import type { Fixture, FixtureFactory } from './support/fixture';
import { largestTags } from './support/largest-tags';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const LEASE_MS = 10_000;

export interface LockerStoreCapabilities {
  /** The fixture offers `reopen` and state must survive it (file-backed and server-backed stores). */
  readonly durable: boolean;
}

/**
 * The behaviour every `LockerStore` must show (src/locker/locker.store.ts). Time is a fixed `now` passed to each
 * call, so every test is deterministic; races are real concurrent calls.
 */
export function describeLockerStore(
  label: string,
  makeFixture: FixtureFactory<LockerStore>,
  { durable }: LockerStoreCapabilities = { durable: false },
): void {
  describe(`LockerStore [${label}]`, () => {
    let fx: Fixture<LockerStore>;
    let sut: LockerStore;
    beforeEach(async () => {
      fx = await makeFixture();
      sut = fx.sut;
    });
    afterEach(() => fx.dispose());

    const grant = async (tags: Tags, now = T0, timeoutMs = LEASE_MS): Promise<StoredLock> => {
      const lock = await sut.tryGrant(cmd(tags, timeoutMs), now);
      if (!lock) throw new Error(`expected ${canonicalTags(tags)} to be granted at ${now}`);
      return lock;
    };
    const held = () => sut.listHeld(null, 1_000);

    describe('tryGrant', () => {
      it('grants a free tag set to a new session whose lease ends timeoutMs from now', async () => {
        const lock = await sut.tryGrant(cmd({ repo: 'willow', branch: 'main' }, 5_000), T0);
        expect(lock).toEqual({
          key: canonicalTags({ repo: 'willow', branch: 'main' }),
          lockId: expect.any(String),
          tags: { repo: 'willow', branch: 'main' },
          sessionId: expect.any(String),
          fencingToken: expect.any(Number),
          timeoutMs: 5_000,
          expiresAt: T0 + 5_000,
        });
        expect(await held()).toEqual([lock]);
      });

      it('returns null while the lease is live, up to its last millisecond, and leaves the holder as it was', async () => {
        const holder = await grant({ a: 1 });
        expect(await sut.tryGrant(cmd({ a: 1 }), T0)).toBeNull();
        expect(await sut.tryGrant(cmd({ a: 1 }), holder.expiresAt - 1)).toBeNull();
        expect(await held()).toEqual([holder]);
      });

      it('grants a tag set whose lease ran out (at expiresAt exactly) to a new session with a larger token', async () => {
        const first = await grant({ a: 1 });
        const second = await grant({ a: 1 }, first.expiresAt);
        expect(second.lockId).toBe(first.lockId);
        expect(second.sessionId).not.toBe(first.sessionId);
        expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
        expect(second.expiresAt).toBe(first.expiresAt + LEASE_MS);
        expect(await held()).toEqual([second]);
      });

      it('keeps distinct tag sets apart, typed values included ("1" is not 1)', async () => {
        const number = await grant({ a: 1 });
        const string = await grant({ a: '1' });
        const wider = await grant({ a: 1, b: 2 });
        expect(new Set([number.lockId, string.lockId, wider.lockId]).size).toBe(3);
        expect(await held()).toHaveLength(3);
      });

      it('grants exactly one of 20 concurrent calls for one tag set', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => sut.tryGrant(cmd({ race: 'x' }), T0)));
        const granted = results.filter((r): r is StoredLock => r !== null);
        expect(granted).toHaveLength(1);
        expect(await held()).toEqual(granted);
      });

      it('answers every one of many concurrent grants of fresh tag sets with a lock or a no, never an error', async () => {
        for (let round = 0; round < 100; round++) {
          const results = await Promise.all(Array.from({ length: 8 }, () => sut.tryGrant(cmd({ round }), T0)));
          expect(results.filter((r) => r !== null)).toHaveLength(1);
        }
      });

      it('grants each of 20 concurrent calls for distinct tag sets, with distinct tokens', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sut.tryGrant(cmd({ n: i }), T0)));
        expect(results.every((r) => r !== null)).toBe(true);
        expect(new Set(results.map((r) => r!.fencingToken)).size).toBe(20);
      });
    });

    describe('fencing tokens', () => {
      it('rise strictly with every grant, across tag sets and re-grants of an expired lease', async () => {
        const tokens: number[] = [];
        for (let round = 0; round < 3; round++) {
          const now = T0 + round * LEASE_MS;
          for (const tags of [{ a: 1 }, { b: 1 }, { a: 1, b: 1 }] as Tags[]) tokens.push((await grant(tags, now)).fencingToken);
        }
        expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
        expect(new Set(tokens).size).toBe(tokens.length);
      });

      it('rise after a release and after an expiry', async () => {
        const first = await grant({ a: 1 });
        await sut.release(first.lockId, first.sessionId, T0);
        const second = await grant({ a: 1 });
        await sut.expireAll(second.expiresAt);
        const third = await grant({ a: 1 }, second.expiresAt);
        expect(first.fencingToken).toBeLessThan(second.fencingToken);
        expect(second.fencingToken).toBeLessThan(third.fencingToken);
      });

      if (durable) {
        it('keep rising across close and reopen, even when no lock is remembered', async () => {
          const before = await grant({ a: 1 });
          await sut.release(before.lockId, before.sessionId, T0);
          sut = await reopen(fx);
          expect(await held()).toEqual([]);
          const after = await grant({ a: 1 });
          expect(after.fencingToken).toBeGreaterThan(before.fencingToken);
          expect(after.lockId).toBe(before.lockId);
        });
      }
    });

    describe('renew', () => {
      it('extends the lease to now + timeoutMs and keeps the session and token', async () => {
        const lock = await grant({ a: 1 }, T0, 5_000);
        const outcome = await sut.renew(lock.lockId, lock.sessionId, T0 + 4_000);
        expect(outcome).toEqual({ kind: 'ok', lock: { ...lock, expiresAt: T0 + 9_000 } });
        expect(await held()).toEqual([{ ...lock, expiresAt: T0 + 9_000 }]);
        expect(await sut.tryGrant(cmd({ a: 1 }), T0 + 8_999)).toBeNull();
      });

      it('refuses a wrong session as session_invalid and leaves the lock unchanged', async () => {
        const lock = await grant({ a: 1 });
        const outcome = await sut.renew(lock.lockId, 'ss_not-the-holder', T0 + 1);
        expect(outcome).toEqual({ kind: 'session_invalid', reason: expect.any(String), expired: null });
        expect(await held()).toEqual([lock]);
      });

      it('reports a lease that ran out as session_invalid with `expired` set, and removes it', async () => {
        const lock = await grant({ a: 1 });
        const outcome = await sut.renew(lock.lockId, lock.sessionId, lock.expiresAt);
        expect(outcome).toEqual({ kind: 'session_invalid', reason: expect.any(String), expired: lock });
        expect(await held()).toEqual([]);
      });

      it('answers not_found for a lockId that names no lock', async () => {
        await grant({ a: 1 });
        expect(await sut.renew('lk_unknown', 'ss_unknown', T0)).toEqual({ kind: 'not_found' });
      });

      it('answers session_invalid to a session superseded by a later grant, and keeps the new holder', async () => {
        const old = await grant({ a: 1 });
        const current = await grant({ a: 1 }, old.expiresAt);
        expect(await sut.renew(old.lockId, old.sessionId, old.expiresAt)).toMatchObject({ kind: 'session_invalid', expired: null });
        expect(await held()).toEqual([current]);
      });
    });

    describe('release', () => {
      it('removes the lock and frees the tag set for the next grant', async () => {
        const lock = await grant({ a: 1 });
        expect(await sut.release(lock.lockId, lock.sessionId, T0 + 1)).toEqual({ kind: 'ok', lock });
        expect(await held()).toEqual([]);
        expect(await sut.tryGrant(cmd({ a: 1 }), T0 + 1)).not.toBeNull();
      });

      it('refuses a wrong session as session_invalid and keeps the lock', async () => {
        const lock = await grant({ a: 1 });
        expect(await sut.release(lock.lockId, 'ss_not-the-holder', T0)).toMatchObject({ kind: 'session_invalid', expired: null });
        expect(await held()).toEqual([lock]);
      });

      it('reports a lease that ran out as session_invalid with `expired` set, and removes it', async () => {
        const lock = await grant({ a: 1 });
        expect(await sut.release(lock.lockId, lock.sessionId, lock.expiresAt + 1)).toEqual({
          kind: 'session_invalid',
          reason: expect.any(String),
          expired: lock,
        });
        expect(await held()).toEqual([]);
      });

      it('answers not_found for a lockId that names no lock, and once a released lock is forgotten', async () => {
        const lock = await grant({ a: 1 });
        expect(await sut.release('lk_unknown', lock.sessionId, T0)).toEqual({ kind: 'not_found' });
        await sut.release(lock.lockId, lock.sessionId, T0);
        expect(await sut.release(lock.lockId, lock.sessionId, T0)).toEqual({ kind: 'not_found' });
      });
    });

    describe('after a lease ran out', () => {
      const expiries: ReadonlyArray<[string, (s: LockerStore, l: StoredLock) => Promise<unknown>]> = [
        ['renew', (s, l) => s.renew(l.lockId, l.sessionId, l.expiresAt)],
        ['release', (s, l) => s.release(l.lockId, l.sessionId, l.expiresAt)],
        ['expire', (s, l) => s.expire(l.key, l.expiresAt)],
        ['expireAll', (s, l) => s.expireAll(l.expiresAt)],
        ['a grant to another session', (s, l) => s.tryGrant(cmd(l.tags), l.expiresAt)],
      ];
      it.each(expiries)('renew and release of that session are session_invalid, never not_found (removed by %s)', async (_, removeIt) => {
        const lock = await grant({ a: 1 });
        await removeIt(sut, lock);
        const later = lock.expiresAt + 60_000;
        expect(await sut.renew(lock.lockId, lock.sessionId, later)).toMatchObject({ kind: 'session_invalid' });
        expect(await sut.release(lock.lockId, lock.sessionId, later)).toMatchObject({ kind: 'session_invalid' });
      });

      it.each(expiries)('forgets expired sessions once remembered long enough, while running (when %s removes a later lease)', async (_, removeIt) => {
        const old = await grant({ a: 1 });
        await sut.expire(old.key, old.expiresAt);
        const forgetAt = old.expiresAt + EXPIRED_SESSION_MEMORY_MS;
        // A lease that runs out 1 ms before the old session has been remembered long enough: the old one stays.
        const within = await grant({ b: 1 }, forgetAt - 1 - LEASE_MS);
        await removeIt(sut, within);
        expect(await sut.renew(old.lockId, old.sessionId, forgetAt - 1)).toMatchObject({ kind: 'session_invalid' });
        const after = await grant({ c: 1 }, forgetAt - LEASE_MS);
        await removeIt(sut, after);
        expect(await sut.renew(old.lockId, old.sessionId, forgetAt)).toEqual({ kind: 'not_found' });
        expect(await sut.release(within.lockId, within.sessionId, forgetAt)).toMatchObject({ kind: 'session_invalid' });
      });

      it('stays session_invalid after the next holder released the lock', async () => {
        const old = await grant({ a: 1 });
        const next = await grant({ a: 1 }, old.expiresAt);
        await sut.release(next.lockId, next.sessionId, old.expiresAt);
        expect(await sut.renew(old.lockId, old.sessionId, old.expiresAt + 1)).toMatchObject({ kind: 'session_invalid' });
      });
    });

    describe('expire', () => {
      it('removes and returns the lock under key once its lease ran out, and nothing before', async () => {
        const lock = await grant({ a: 1 });
        expect(await sut.expire(lock.key, lock.expiresAt - 1)).toBeNull();
        expect(await held()).toEqual([lock]);
        expect(await sut.expire(lock.key, lock.expiresAt)).toEqual(lock);
        expect(await held()).toEqual([]);
        expect(await sut.expire(lock.key, lock.expiresAt)).toBeNull();
      });

      it('returns null for a key nobody holds', async () => {
        expect(await sut.expire(canonicalTags({ nobody: true }), T0)).toBeNull();
      });
    });

    describe('expireAll', () => {
      it('removes exactly the leases that ran out by now and returns them', async () => {
        const short = await grant({ lease: 'short' }, T0, 1_000);
        const edge = await grant({ lease: 'edge' }, T0, 2_000);
        const long = await grant({ lease: 'long' }, T0, 3_000);
        const expired = await sut.expireAll(T0 + 2_000);
        expect(sortByKey(expired)).toEqual(sortByKey([short, edge]));
        expect(await held()).toEqual([long]);
        expect(await sut.expireAll(T0 + 2_000)).toEqual([]);
      });

      it('removes nothing when no lease ran out', async () => {
        const lock = await grant({ a: 1 });
        expect(await sut.expireAll(T0)).toEqual([]);
        expect(await held()).toEqual([lock]);
      });
    });

    describe('line of waiters', () => {
      const KEY = canonicalTags({ a: 1 });
      const WAIT_UNTIL = T0 + 60_000;

      it('lets only the first live waiter in, then the next, and no newcomer while anyone waits', async () => {
        const holder = await grant({ a: 1 });
        const first = await sut.join(KEY, WAIT_UNTIL, T0);
        const second = await sut.join(KEY, WAIT_UNTIL, T0);
        expect(second).toBeGreaterThan(first);
        expect(await sut.waiting([KEY, canonicalTags({ b: 1 })], T0)).toEqual(new Map([[KEY, 2]]));
        expect(await sut.tryGrant(cmd({ a: 1 }, LEASE_MS, first), T0)).toBeNull();
        await sut.release(holder.lockId, holder.sessionId, T0);
        expect(await sut.tryGrant(cmd({ a: 1 }), T0)).toBeNull();
        expect(await sut.tryGrant(cmd({ a: 1 }, LEASE_MS, second), T0)).toBeNull();
        const granted = await sut.tryGrant(cmd({ a: 1 }, LEASE_MS, first), T0);
        expect(granted).not.toBeNull();
        expect(await sut.waiting([KEY], T0)).toEqual(new Map([[KEY, 1]]));
        await sut.release(granted!.lockId, granted!.sessionId, T0);
        expect(await sut.tryGrant(cmd({ a: 1 }, LEASE_MS, second), T0)).not.toBeNull();
        expect(await sut.waiting([KEY], T0)).toEqual(new Map());
      });

      it('lets the next waiter in once the first left, and holds nobody back with a waiter past its deadline', async () => {
        const gone = await sut.join(KEY, WAIT_UNTIL, T0);
        const late = await sut.join(KEY, T0 + 1_000, T0);
        const next = await sut.join(KEY, WAIT_UNTIL, T0);
        await sut.leave(KEY, gone);
        await sut.leave(KEY, gone);
        expect(await sut.tryGrant(cmd({ a: 1 }, LEASE_MS, next), T0)).toBeNull();
        expect(await sut.waiting([KEY], T0 + 1_000)).toEqual(new Map([[KEY, 1]]));
        expect(await sut.tryGrant(cmd({ a: 1 }, LEASE_MS, next), T0 + 1_000)).not.toBeNull();
        await sut.leave(KEY, late);
      });

      it('keeps the lines of different keys apart', async () => {
        await sut.join(canonicalTags({ other: 1 }), WAIT_UNTIL, T0);
        expect(await sut.tryGrant(cmd({ a: 1 }), T0)).not.toBeNull();
      });

      it('grants exactly the first waiter when it races its line and newcomers', async () => {
        const tickets: number[] = [];
        for (let i = 0; i < 5; i++) tickets.push(await sut.join(KEY, WAIT_UNTIL, T0));
        const racers = [...tickets.map((t) => cmd({ a: 1 }, LEASE_MS, t)), ...tickets.map(() => cmd({ a: 1 }))];
        const results = await Promise.all(racers.reverse().map((c) => sut.tryGrant(c, T0)));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect(await sut.waiting([KEY], T0)).toEqual(new Map([[KEY, 4]]));
      });
    });

    describe('the largest tag sets (64 keys, values that do not compress)', () => {
      // Their encodings (~70 KB) are larger than a b-tree entry may be; only their last characters tell them apart.
      const big = largestTags;
      const WAIT_UNTIL = T0 + 60_000;

      it('grant, refuse while held, renew, release and expire like any other', async () => {
        const lock = await grant(big('a'));
        expect(lock.tags).toEqual(big('a'));
        expect(await sut.tryGrant(cmd(big('a')), T0)).toBeNull();
        expect(await sut.renew(lock.lockId, lock.sessionId, T0 + 1)).toEqual({ kind: 'ok', lock: { ...lock, expiresAt: T0 + 1 + LEASE_MS } });
        expect(await sut.release(lock.lockId, lock.sessionId, T0 + 1)).toMatchObject({ kind: 'ok' });
        const next = await grant(big('a'), T0 + 2);
        expect(next.fencingToken).toBeGreaterThan(lock.fencingToken);
        expect(await sut.expire(next.key, next.expiresAt)).toEqual(next);
        expect(await held()).toEqual([]);
      });

      it('keep tag sets that differ only past a long common prefix apart, and list them in key order', async () => {
        const locks = [];
        for (const last of ['b', 'a', 'c', 'ab']) locks.push(await grant(big(last)));
        expect(new Set(locks.map((l) => l.lockId)).size).toBe(4);
        const ordered = sortByKey(locks);
        expect(await held()).toEqual(ordered);
        expect(await sut.listHeld(ordered[1].key, 2)).toEqual(ordered.slice(2));
      });

      it('keep a line of waiters per tag set', async () => {
        const holder = await grant(big('a'));
        const first = await sut.join(holder.key, WAIT_UNTIL, T0);
        await sut.join(canonicalTags(big('b')), WAIT_UNTIL, T0);
        expect(await sut.waiting([holder.key, holder.key], T0)).toEqual(new Map([[holder.key, 1]]));
        await sut.release(holder.lockId, holder.sessionId, T0);
        expect(await sut.tryGrant(cmd(big('a')), T0)).toBeNull();
        expect(await sut.tryGrant(cmd(big('a'), LEASE_MS, first), T0)).toMatchObject({ lockId: holder.lockId });
        expect(await sut.waiting([holder.key], T0)).toEqual(new Map());
      });
    });

    describe('races', () => {
      it('grant one racer per round, each with a larger token than the round before', async () => {
        const winners: StoredLock[] = [];
        for (let round = 0; round < 5; round++) {
          const now = T0 + round * LEASE_MS;
          const results = await Promise.all(Array.from({ length: 10 }, () => sut.tryGrant(cmd({ race: 'r' }), now)));
          const granted = results.filter((r): r is StoredLock => r !== null);
          expect(granted).toHaveLength(1);
          winners.push(granted[0]);
        }
        const tokens = winners.map((w) => w.fencingToken);
        expect(tokens).toEqual([...new Set(tokens)].sort((x, y) => x - y));
      });

      it('expire a due lease exactly once among concurrent expire and expireAll calls', async () => {
        const lock = await grant({ a: 1 });
        const at = lock.expiresAt;
        const results = await Promise.all([
          ...Array.from({ length: 5 }, () => sut.expire(lock.key, at)),
          ...Array.from({ length: 5 }, () => sut.expireAll(at)),
        ]);
        expect(results.flat().filter((r) => r !== null)).toEqual([lock]);
      });
    });

    describe('listHeld', () => {
      it('lists held locks ordered by key and pages strictly after afterKey', async () => {
        // U+1F600 sorts after U+FF01 by code point, though not by UTF-16 code unit; 'B' sorts before 'a'.
        const tagSets: Tags[] = [{ z: 1 }, { a: '\u{1F600}' }, { a: '\uFF01' }, { a: 'x', b: 1 }, { B: 2 }, { a: 1 }, { c: 'c' }];
        const locks = [];
        for (const tags of tagSets) locks.push(await grant(tags));
        const ordered = sortByKey(locks);

        expect(await sut.listHeld(null, 100)).toEqual(ordered);
        const pages: StoredLock[][] = [];
        for (let after: string | null = null; ; ) {
          const page = await sut.listHeld(after, 3);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(3);
          pages.push(page);
          after = page[page.length - 1].key;
        }
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual(ordered);
        expect(await sut.listHeld(ordered[ordered.length - 1].key, 3)).toEqual([]);
      });

      it('is empty for an empty store', async () => {
        expect(await sut.listHeld(null, 10)).toEqual([]);
      });
    });

    if (durable) {
      describe('restart', () => {
        it('keeps held locks, their sessions and the memory of expired sessions across close and reopen', async () => {
          const live = await grant({ job: 'live' }, T0, 60_000);
          const gone = await grant({ job: 'gone' }, T0, 1_000);
          await sut.expire(gone.key, gone.expiresAt);
          sut = await reopen(fx);
          expect(await held()).toEqual([live]);
          expect(await sut.renew(live.lockId, live.sessionId, T0 + 1_000)).toEqual({
            kind: 'ok',
            lock: { ...live, expiresAt: T0 + 61_000 },
          });
          expect(await sut.renew(gone.lockId, gone.sessionId, T0 + 2_000)).toMatchObject({ kind: 'session_invalid' });
          expect(await sut.tryGrant(cmd(live.tags), T0 + 1_000)).toBeNull();
        });

        it('expires on start the leases that ran out while closed, and re-grants them with a larger token', async () => {
          const lock = await grant({ job: 'stale' }, T0, 1_000);
          sut = await reopen(fx);
          expect(await sut.expireAll(T0 + 5_000)).toEqual([lock]);
          expect((await grant({ job: 'stale' }, T0 + 5_000)).fencingToken).toBeGreaterThan(lock.fencingToken);
        });
      });
    }
  });
}

function cmd(tags: Tags, timeoutMs = LEASE_MS, ticket: number | null = null): GrantRequest {
  return { key: canonicalTags(tags), tags, timeoutMs, ticket };
}

/** Orders as listHeld must: by key in code-point order (SQLite BINARY, PostgreSQL COLLATE "C"), never by locale. */
function sortByKey(locks: readonly StoredLock[]): StoredLock[] {
  return [...locks].sort((x, y) => compareCodePoints(x.key, y.key));
}

async function reopen(fx: Fixture<LockerStore>): Promise<LockerStore> {
  if (!fx.reopen) throw new Error('a durable fixture must offer reopen()');
  return fx.reopen();
}
