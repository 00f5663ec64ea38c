import type { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import type { Scope } from '../../common/scopes';
import type { AuthStore, StoredKey } from '../auth.store';
import { AUTH_MIGRATIONS } from './sqlite-auth.migrations';

interface KeyRow {
  name: string;
  key_hash: string;
  scopes: string;
  queues: string | null;
  created_at: number;
}

/** API keys on the embedded store: one process, so no announcements; scopes and patterns are JSON arrays. */
export class SqliteAuthStore implements AuthStore {
  readonly shared = null;
  private readonly sql;

  constructor(private readonly storage: EmbeddedStorage) {
    storage.migrate('auth', AUTH_MIGRATIONS);
    const db = storage.db;
    this.sql = {
      insert: db.prepare(`INSERT INTO auth_keys (name, key_hash, scopes, queues, created_at)
        VALUES (@name, @key_hash, @scopes, @queues, @created_at) ON CONFLICT (name) DO NOTHING`),
      byHash: db.prepare<[string], KeyRow>('SELECT * FROM auth_keys WHERE key_hash = ?'),
      list: db.prepare<[string, number], KeyRow>('SELECT * FROM auth_keys WHERE name > ? ORDER BY name LIMIT ?'),
      remove: db.prepare('DELETE FROM auth_keys WHERE name = ?'),
    };
  }

  create(key: StoredKey): Promise<boolean> {
    const row: KeyRow = {
      name: key.name,
      key_hash: key.hash,
      scopes: JSON.stringify(key.scopes),
      queues: key.queues === null ? null : JSON.stringify(key.queues),
      created_at: key.createdAt,
    };
    return this.storage.write(() => this.sql.insert.run(row).changes === 1);
  }

  async findByHash(hash: string): Promise<StoredKey | null> {
    const row = this.storage.read(() => this.sql.byHash.get(hash));
    return row ? toKey(row) : null;
  }

  async list(afterName: string | null, limit: number): Promise<StoredKey[]> {
    return this.storage.read(() => this.sql.list.all(afterName ?? '', limit)).map(toKey);
  }

  revoke(name: string): Promise<boolean> {
    return this.storage.write(() => this.sql.remove.run(name).changes === 1);
  }
}

function toKey(row: KeyRow): StoredKey {
  return {
    name: row.name,
    hash: row.key_hash,
    scopes: JSON.parse(row.scopes) as Scope[],
    queues: row.queues === null ? null : (JSON.parse(row.queues) as string[]),
    createdAt: row.created_at,
  };
}
