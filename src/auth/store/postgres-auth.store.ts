import type { QueryResultRow } from 'pg';
import type { Scope } from '../../common/scopes';
import { inTransaction, type ChannelDef, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage } from '../../platform/storage/postgres/postgres-storage';
import type { AuthStore, SharedAuthStore, StoredKey } from '../auth.store';
import { AUTH_PG_MIGRATIONS } from './postgres-auth.migrations';

/** Revocations: the hash of each revoked key (64 hex characters, so never shrunk). Heard by the sender too. */
const REVOKED: ChannelDef<string> = {
  name: 'auth',
  codec: { encode: (hash) => hash, decode: (text) => text, shrink: (hash) => hash },
  ignoreOwn: false,
};

interface KeyRow extends QueryResultRow {
  name: string;
  key_hash: string;
  scopes: string[];
  queues: string[] | null;
  created_at: string;
}

/**
 * API keys on PostgreSQL, shared by every instance on the schema. A revocation deletes the row and sends the key's
 * hash on `REVOKED` inside the same transaction, so every instance hears of it as soon as it commits.
 */
export class PostgresAuthStore implements AuthStore {
  readonly shared: SharedAuthStore = { watch: (listener) => this.watch(listener) };
  private readonly revoked: PgChannel<string>;

  private constructor(private readonly storage: PostgresStorage) {
    this.revoked = storage.channel(REVOKED);
  }

  static async open(storage: PostgresStorage): Promise<PostgresAuthStore> {
    await storage.migrate('auth', AUTH_PG_MIGRATIONS);
    return new PostgresAuthStore(storage);
  }

  async create(key: StoredKey): Promise<boolean> {
    const rows = await this.storage.query(
      `INSERT INTO auth_keys (name, key_hash, scopes, queues, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [key.name, key.hash, key.scopes, key.queues, key.createdAt],
    );
    return rows.length === 1;
  }

  async findByHash(hash: string): Promise<StoredKey | null> {
    const [row] = await this.storage.query<KeyRow>('SELECT * FROM auth_keys WHERE key_hash = $1', [hash]);
    return row ? toKey(row) : null;
  }

  async list(afterName: string | null, limit: number): Promise<StoredKey[]> {
    const rows = await this.storage.query<KeyRow>('SELECT * FROM auth_keys WHERE name > $1 ORDER BY name LIMIT $2', [afterName ?? '', limit]);
    return rows.map(toKey);
  }

  revoke(name: string): Promise<boolean> {
    return this.storage.tx(async (sql) => {
      const { rows } = await sql.query<{ key_hash: string }>('DELETE FROM auth_keys WHERE name = $1 RETURNING key_hash', [name]);
      if (rows.length === 0) return false;
      await this.revoked.send(inTransaction(sql), rows[0]!.key_hash);
      return true;
    });
  }

  private watch(listener: (revokedHash: string | null) => void): Promise<void> {
    return this.revoked.listen({ message: (hash) => listener(hash), resync: () => listener(null) });
  }
}

function toKey(row: KeyRow): StoredKey {
  return {
    name: row.name,
    hash: row.key_hash,
    scopes: row.scopes as Scope[],
    queues: row.queues,
    createdAt: Number(row.created_at),
  };
}
