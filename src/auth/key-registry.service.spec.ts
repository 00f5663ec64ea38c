import { FakeClock } from '../common/clock';
import { parseConfig } from '../config';
import type { AuthStore, StoredKey } from './auth.store';
import { hashKey } from './domain/key-material';
import { KeyRegistry, SHARED_CACHE_TTL_MS } from './key-registry.service';

/** An in-memory AuthStore counting lookups; `shared` announces revocations to the registry's listener by hand. */
class FakeAuthStore implements AuthStore {
  readonly keys = new Map<string, StoredKey>();
  lookups = 0;
  listener: ((hash: string | null) => void) | null = null;
  shared: AuthStore['shared'];
  /** A lookup in flight waits on this, so a test can revoke meanwhile. */
  gate: Promise<void> | null = null;

  constructor(isShared: boolean) {
    this.shared = isShared ? { watch: async (listener) => void (this.listener = listener) } : null;
  }
  async create(key: StoredKey) {
    if ([...this.keys.values()].some((k) => k.name === key.name)) return false;
    this.keys.set(key.hash, key);
    return true;
  }
  async findByHash(hash: string) {
    this.lookups++;
    const found = this.keys.get(hash) ?? null;
    if (this.gate) await this.gate;
    return found;
  }
  async list() {
    return [...this.keys.values()];
  }
  async revoke(name: string) {
    const key = [...this.keys.values()].find((k) => k.name === name);
    if (!key) return false;
    this.keys.delete(key.hash);
    return true;
  }
}

const ADMIN = 'a'.repeat(40);

async function setUp(shared: boolean) {
  const store = new FakeAuthStore(shared);
  const clock = new FakeClock();
  const sut = new KeyRegistry(store, parseConfig({ WILLOW_ADMIN_KEY: ADMIN }), clock);
  await sut.onModuleInit();
  const { key } = await sut.create({ name: 'ci', scopes: ['queues:read'], queues: null });
  return { store, clock, sut, key };
}

describe(KeyRegistry.name, () => {
  it('knows the bootstrap key as admin without asking the store', async () => {
    const { store, sut } = await setUp(false);
    expect(await sut.authenticate(ADMIN)).toEqual({ name: 'WILLOW_ADMIN_KEY', scopes: ['admin'], queues: null });
    expect(store.lookups).toBe(0);
  });

  it('stores only the hash of a new key', async () => {
    const { store, key } = await setUp(false);
    expect([...store.keys.keys()]).toEqual([hashKey(key)]);
    expect(JSON.stringify([...store.keys.values()])).not.toContain(key);
  });

  it('caches a key on its own store and forgets it when revoked here', async () => {
    const { store, sut, key } = await setUp(false);
    expect(await sut.authenticate(key)).toMatchObject({ name: 'ci' });
    expect(await sut.authenticate(key)).toMatchObject({ name: 'ci' });
    expect(store.lookups).toBe(1);
    await sut.revoke('ci');
    expect(await sut.authenticate(key)).toBeNull();
  });

  it('on a shared store, trusts a cached key for at most the TTL', async () => {
    const { store, clock, sut, key } = await setUp(true);
    await sut.authenticate(key);
    clock.advance(SHARED_CACHE_TTL_MS - 1);
    await sut.authenticate(key);
    expect(store.lookups).toBe(1);
    clock.advance(1);
    await sut.authenticate(key);
    expect(store.lookups).toBe(2);
  });

  it('on a shared store, drops a key another instance revoked as soon as it hears of it, and all on a resync', async () => {
    const { store, sut, key } = await setUp(true);
    await sut.authenticate(key);
    store.keys.clear();
    store.listener!(hashKey(key));
    expect(await sut.authenticate(key)).toBeNull();
    const second = (await sut.create({ name: 'other', scopes: ['locks'], queues: null })).key;
    await sut.authenticate(second);
    store.keys.clear();
    store.listener!(null);
    expect(await sut.authenticate(second)).toBeNull();
  });

  it('does not cache a lookup that a revocation overtook', async () => {
    const { store, sut, key } = await setUp(true);
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const lookup = sut.authenticate(key);
    store.keys.clear();
    store.listener!(hashKey(key));
    open();
    store.gate = null;
    expect(await lookup).toMatchObject({ name: 'ci' });
    expect(await sut.authenticate(key)).toBeNull();
  });

  it('refuses a second key of a name, and revoking an unknown name', async () => {
    const { sut } = await setUp(false);
    await expect(sut.create({ name: 'ci', scopes: ['locks'], queues: null })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(sut.revoke('nope')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });
});
