import type { AuthStore } from '../../src/auth/auth.store';
import { PostgresAuthStore } from '../../src/auth/store/postgres-auth.store';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { waitUntil } from '../support/wait';
import { describeAuthStore, storedKey } from './auth-store.conformance';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage, postgresFixture } from './support/postgres-fixture';

describePostgres('auth on PostgreSQL', (url) => {
  describeAuthStore('postgres', () => postgresFixture(url, (storage) => PostgresAuthStore.open(storage)), { durable: true });

  describe('two instances on one schema', () => {
    let schema: string;
    let storages: PostgresStorage[];
    let a: AuthStore;
    let b: AuthStore;
    beforeEach(async () => {
      schema = freshSchemaName();
      storages = await Promise.all([openPostgresStorage(url, schema), openPostgresStorage(url, schema)]);
      [a, b] = await Promise.all(storages.map((s) => PostgresAuthStore.open(s)));
    });
    afterEach(async () => {
      await Promise.all(storages.map((s) => s.close()));
      await dropSchema(url, schema);
    });

    it('share keys: one created on one instance is found on the other', async () => {
      const { key: _key, ...ci } = storedKey('ci');
      await a.create(ci);
      expect(await b.findByHash(ci.hash)).toEqual(ci);
    });

    it('announce a revocation to every instance, by the key hash', async () => {
      const heard: Array<string | null> = [];
      await b.shared!.watch((hash) => heard.push(hash));
      const { key: _key, ...ci } = storedKey('ci');
      await a.create(ci);
      await a.revoke('ci');
      await waitUntil(async () => heard.length > 0);
      expect(heard).toEqual([ci.hash]);
      expect(await b.findByHash(ci.hash)).toBeNull();
    });

    it('store no key in the table, only its hash', async () => {
      const keys = Array.from({ length: 3 }, (_, i) => storedKey(`k${i}`));
      for (const { key: _key, ...stored } of keys) await a.create(stored);
      const [{ text }] = await storages[0]!.query<{ text: string }>('SELECT string_agg(t::text, \'|\') AS text FROM auth_keys t');
      for (const { key, hash } of keys) {
        expect(text).not.toContain(key.slice(3));
        expect(text).toContain(hash);
      }
    });
  });
});
