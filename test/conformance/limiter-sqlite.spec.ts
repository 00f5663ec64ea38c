import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStorage } from '../../src/platform/storage/sqlite/embedded-storage';
import { SqliteLimiterStore } from '../../src/limiter/store/sqlite-limiter.store';
import { describeLimiterStore, type LimiterStoreFixture } from './limiter-store.conformance';

/**
 * Makes every COMMIT of `storage` fail as a disk I/O error would, until a write queued now has been settled: the
 * group committer then retries each write of the batch alone, and those commits fail too.
 */
function failingWrite(storage: EmbeddedStorage): Promise<unknown> {
  const commit = (storage as unknown as { committer: { commit: { run: (...args: unknown[]) => unknown } } }).committer.commit;
  const run = commit.run;
  commit.run = () => {
    throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  };
  return storage.write(() => undefined).finally(() => {
    commit.run = run;
  });
}

async function memoryFixture(): Promise<LimiterStoreFixture> {
  const storage = new EmbeddedStorage({ dataDir: ':memory:', sync: 'normal' });
  return {
    store: new SqliteLimiterStore(storage),
    failNextCommit: () => failingWrite(storage),
    dispose: async () => storage.close(),
  };
}

async function directoryFixture(): Promise<LimiterStoreFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'willow-limiter-'));
  let storage = new EmbeddedStorage({ dataDir: dir, sync: 'full' });
  const fx: { -readonly [K in keyof LimiterStoreFixture]: LimiterStoreFixture[K] } = {
    store: new SqliteLimiterStore(storage),
    failNextCommit: () => failingWrite(storage),
    reopen: async () => {
      storage.close();
      storage = new EmbeddedStorage({ dataDir: dir, sync: 'full' });
      fx.store = new SqliteLimiterStore(storage);
      return fx.store;
    },
    dispose: async () => {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

describeLimiterStore('sqlite :memory:', memoryFixture, { propertyRuns: 200, failableCommits: true });
describeLimiterStore('sqlite directory', directoryFixture, { propertyRuns: 40, durable: true, failableCommits: true });
