import { FakeScheduler } from '../common/fake-scheduler';
import { ShuttingDownError } from '../common/errors';
import { canonicalTags, type Tags } from '../common/tags';
import { DEFAULT_TIMING } from '../config';
import { ShutdownSignal } from '../platform/lifecycle/shutdown-signal';
import { isExpired } from './domain/lease';
import { WaitLine } from './domain/wait-line';
import type { GrantRequest, LockerStore, SessionOutcome, StoredLock } from './locker.store';
import { LockerService } from './locker.service';

/** In-memory LockerStore; `gate` lets a test hold back the answer of the next tryGrant. */
class FakeLockerStore implements LockerStore {
  readonly locks = new Map<string, StoredLock>();
  readonly shared = null;
  gate: Promise<void> | null = null;
  private token = 0;
  private readonly line = new WaitLine();

  async tryGrant({ ticket, ...cmd }: GrantRequest, now: number): Promise<StoredLock | null> {
    const gate = this.gate;
    this.gate = null;
    if (gate) await gate;
    const held = this.locks.get(cmd.key);
    if ((held && !isExpired(held, now)) || !this.line.mayGrant(cmd.key, ticket, now)) return null;
    if (ticket !== null) this.line.leave(cmd.key, ticket);
    const lock = { ...cmd, lockId: `lk_${cmd.key}`, sessionId: `ss_${++this.token}`, fencingToken: this.token, expiresAt: now + cmd.timeoutMs };
    this.locks.set(cmd.key, lock);
    return lock;
  }
  async renew(): Promise<SessionOutcome> {
    throw new Error('not used');
  }
  async release(lockId: string, sessionId: string): Promise<SessionOutcome> {
    const lock = [...this.locks.values()].find((l) => l.lockId === lockId);
    if (!lock) return { kind: 'not_found' };
    if (lock.sessionId !== sessionId) return { kind: 'session_invalid', reason: 'wrong session', expired: null };
    this.locks.delete(lock.key);
    return { kind: 'ok', lock };
  }
  async expire(): Promise<StoredLock | null> {
    return null;
  }
  async expireAll(): Promise<StoredLock[]> {
    return [];
  }
  async counts(now: number): Promise<{ held: number; waiters: number }> {
    return { held: [...this.locks.values()].filter((l) => !isExpired(l, now)).length, waiters: this.line.total(now) };
  }
  async listHeld(afterKey: string | null, limit: number): Promise<StoredLock[]> {
    return [...this.locks.values()].filter((l) => afterKey === null || l.key > afterKey).slice(0, limit);
  }
  async join(key: string, deadline: number): Promise<number> {
    return this.line.join(key, deadline);
  }
  async leave(key: string, ticket: number): Promise<void> {
    this.line.leave(key, ticket);
  }
  async waiting(): Promise<Map<string, number>> {
    return new Map();
  }
}

describe(LockerService.name, () => {
  let store: FakeLockerStore;
  let shutdown: ShutdownSignal;
  let sut: LockerService;
  beforeEach(async () => {
    store = new FakeLockerStore();
    shutdown = new ShutdownSignal();
    const time = new FakeScheduler();
    sut = new LockerService(store, time.clock, shutdown, time, { timing: DEFAULT_TIMING });
    await sut.onModuleInit();
  });
  afterEach(() => sut.onApplicationShutdown());

  const acquire = (tags: Tags, waitMs = 60_000) => sut.acquire({ tags, timeoutMs: 30_000, waitMs });

  describe('at shutdown', () => {
    it('ends a queued acquire with SHUTTING_DOWN as soon as shutdown starts, before the HTTP server closes', async () => {
      await acquire({ job: 'a' });
      const waiting = acquire({ job: 'a' });
      await new Promise((r) => setImmediate(r));
      await shutdown.beforeApplicationShutdown();
      await expect(waiting).rejects.toBeInstanceOf(ShuttingDownError);
    });

    it('refuses a new acquire once shutdown has started', async () => {
      await shutdown.beforeApplicationShutdown();
      await expect(acquire({ job: 'a' })).rejects.toBeInstanceOf(ShuttingDownError);
    });

    it('refuses to queue an acquire whose first try was in flight when shutdown started', async () => {
      await acquire({ job: 'a' });
      let open!: () => void;
      store.gate = new Promise((r) => (open = r));
      const inFlight = acquire({ job: 'a' });
      await shutdown.beforeApplicationShutdown();
      open();
      await expect(inFlight).rejects.toBeInstanceOf(ShuttingDownError);
    });

    it('keeps held locks: the holder may still own them after a restart', async () => {
      const grant = await acquire({ job: 'a' });
      await shutdown.beforeApplicationShutdown();
      sut.onApplicationShutdown();
      expect(store.locks.get(canonicalTags({ job: 'a' }))).toMatchObject({ sessionId: grant!.sessionId });
    });
  });
});
