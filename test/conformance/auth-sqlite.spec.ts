import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteAuthStore } from '../../src/auth/store/sqlite-auth.store';
import { EmbeddedStorage } from '../../src/platform/storage/sqlite/embedded-storage';
import { describeAuthStore, storedKey } from './auth-store.conformance';
import { embeddedFixture } from './support/embedded-fixture';
import { makeTempDir } from './support/temp-dir';

describeAuthStore('sqlite :memory:', () => embeddedFixture('memory', (storage) => new SqliteAuthStore(storage)));

describeAuthStore('sqlite temp dir', () => embeddedFixture('temp-dir', (storage) => new SqliteAuthStore(storage)), { durable: true });

describe('SqliteAuthStore on disk', () => {
  it('writes no key to any file of the data directory, only its hash', async () => {
    const dir = makeTempDir('willow-auth');
    const storage = new EmbeddedStorage({ dataDir: dir.path, sync: 'full' });
    try {
      const store = new SqliteAuthStore(storage);
      const keys = Array.from({ length: 5 }, (_, i) => storedKey(`k${i}`));
      for (const { key: _key, ...stored } of keys) await store.create(stored);
      const bytes = Buffer.concat(readdirSync(dir.path).map((file) => readFileSync(join(dir.path, file))));
      for (const { key, hash } of keys) {
        expect(bytes.includes(key)).toBe(false);
        expect(bytes.includes(key.slice(3))).toBe(false);
        expect(bytes.includes(hash)).toBe(true);
      }
    } finally {
      storage.close();
      dir.remove();
    }
  });
});
