import type { Scope } from '../common/scopes';

/** A key as stored: never the key itself, only its hash. */
export interface StoredKey {
  readonly name: string;
  /** SHA-256 of the key, hex (`hashKey`). */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  /** Queue name patterns narrowing the queue scopes; null = every queue. */
  readonly queues: readonly string[] | null;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/**
 * Durable API keys (by name, found by hash). Every method is one atomic statement or transaction. On a store shared
 * by several instances, a revocation is announced to every instance so none keeps honouring a cached key.
 */
export interface AuthStore {
  /** Stores a new key; `false` (nothing written) when a key of that name exists. */
  create(key: StoredKey): Promise<boolean>;
  /** The key whose hash is `hash`, or null (unknown or revoked). */
  findByHash(hash: string): Promise<StoredKey | null>;
  /** Keys ordered by name (code-point order), strictly after `afterName`. */
  list(afterName: string | null, limit: number): Promise<StoredKey[]>;
  /** Removes the key `name`; false when there was none. On a shared store, announced to every instance. */
  revoke(name: string): Promise<boolean>;
  /** Present when several instances share the store (PostgreSQL); null for an embedded store. */
  readonly shared: SharedAuthStore | null;
}

export interface SharedAuthStore {
  /**
   * Calls `listener` with the hash of every key revoked by any instance, this one included, once listening has started
   * (the returned promise); with null after a reconnect (revocations may have been missed: drop everything cached).
   */
  watch(listener: (revokedHash: string | null) => void): Promise<void>;
}

export const AUTH_STORE = Symbol('AuthStore');
