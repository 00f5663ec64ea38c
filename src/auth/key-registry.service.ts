import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AlreadyExistsError } from '../common/errors';
import type { Clock } from '../common/clock';
import type { Page, PageRequest } from '../common/page';
import { CONFIG, type Config } from '../config';
import { CLOCK } from '../platform/clock.token';
import { EVERYTHING, type Principal } from './domain/access';
import { KeyNotFoundError } from './domain/auth.errors';
import { generateKey, hashKey, sameHash } from './domain/key-material';
import { BOOTSTRAP_KEY_NAME, type CreateKeyCommand } from './domain/validate-key';
import { AUTH_STORE, type AuthStore, type StoredKey } from './auth.store';

/**
 * How long an instance on a shared store trusts a key it looked up. A revocation reaches every instance sooner, by
 * notification; this bounds how long a key stays honoured if that notification is lost with the listening
 * connection (after a reconnect the whole cache is dropped anyway).
 */
export const SHARED_CACHE_TTL_MS = 2_000;
const CACHE_MAX = 10_000;
const BOOTSTRAP: Principal = { name: BOOTSTRAP_KEY_NAME, scopes: EVERYTHING, queues: null };

/**
 * The API keys: the bootstrap key from `WILLOW_ADMIN_KEY`, and stored keys (hash only) created, listed and revoked
 * through `/v1/auth/keys`. Lookups are cached by hash; a revocation drops the entry at once here, and on other
 * instances when they hear of it (PostgreSQL NOTIFY).
 */
@Injectable()
export class KeyRegistry implements OnModuleInit {
  private readonly cache = new Map<string, { principal: Principal; at: number }>();
  /** Raised by every revocation heard: a lookup that started before one does not fill the cache. */
  private generation = 0;
  private readonly adminHash: string | null;

  constructor(
    @Inject(AUTH_STORE) private readonly store: AuthStore,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.adminHash = config.access.adminKey === null ? null : hashKey(config.access.adminKey);
  }

  async onModuleInit(): Promise<void> {
    await this.store.shared?.watch((hash) => this.forget(hash));
  }

  /** The principal `key` stands for, or null when it is unknown or revoked. */
  async authenticate(key: string): Promise<Principal | null> {
    // One hash per request: it finds a stored key, and (compared in constant time) tells the bootstrap key.
    const hash = hashKey(key);
    if (this.adminHash !== null && sameHash(hash, this.adminHash)) return BOOTSTRAP;
    const now = this.clock.now();
    const cached = this.cache.get(hash);
    if (cached && (this.store.shared === null || now - cached.at < SHARED_CACHE_TTL_MS)) return cached.principal;
    const generation = this.generation;
    const stored = await this.store.findByHash(hash);
    if (!stored) return null;
    const principal: Principal = { name: stored.name, scopes: stored.scopes, queues: stored.queues };
    if (generation === this.generation) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(hash, { principal, at: now });
    }
    return principal;
  }

  /** Creates a key; the answer holds the key itself, which is never shown again. */
  async create(cmd: CreateKeyCommand): Promise<{ key: string; stored: StoredKey }> {
    const key = generateKey();
    const stored: StoredKey = { ...cmd, hash: hashKey(key), createdAt: this.clock.now() };
    if (!(await this.store.create(stored))) {
      throw new AlreadyExistsError(`A key named "${cmd.name}" already exists; choose another Name or revoke it first`, { Name: cmd.name });
    }
    return { key, stored };
  }

  async list(page: PageRequest): Promise<Page<StoredKey>> {
    const rows = await this.store.list(page.cursor, page.limit + 1);
    const items = rows.slice(0, page.limit);
    return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.name : null };
  }

  /** Revokes `name` at once: here before answering, on other instances as soon as they hear of it. */
  async revoke(name: string): Promise<void> {
    if (!(await this.store.revoke(name))) throw new KeyNotFoundError(name);
    for (const [hash, entry] of this.cache) if (entry.principal.name === name) this.forget(hash);
  }

  private forget(hash: string | null): void {
    this.generation++;
    if (hash === null) this.cache.clear();
    else this.cache.delete(hash);
  }
}
