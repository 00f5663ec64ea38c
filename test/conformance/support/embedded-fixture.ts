import { EmbeddedStorage } from '../../../src/platform/storage/sqlite/embedded-storage';
import type { Fixture } from './fixture';
import { makeTempDir } from './temp-dir';

/** Where an embedded-store fixture keeps its database: nothing on disk, or a temp dir removed on dispose. */
export type EmbeddedPlacement = 'memory' | 'temp-dir';

/**
 * A fixture for any store built on `EmbeddedStorage` (each module's SQLite store). `open` builds the store on a
 * freshly opened storage, as the module's factory does; with `temp-dir`, `reopen` closes the database and opens the
 * same file again, which is what a restart does.
 */
export async function embeddedFixture<T>(placement: EmbeddedPlacement, open: (storage: EmbeddedStorage) => T): Promise<Fixture<T>> {
  const dir = placement === 'temp-dir' ? makeTempDir('willow-conformance') : null;
  let storage = new EmbeddedStorage({ dataDir: dir?.path ?? ':memory:', sync: 'full' });
  let sut = open(storage);
  const fixture: Fixture<T> = {
    get sut() {
      return sut;
    },
    dispose: async () => {
      storage.close();
      dir?.remove();
    },
  };
  if (!dir) return fixture;
  return Object.assign(fixture, {
    reopen: async () => {
      storage.close();
      storage = new EmbeddedStorage({ dataDir: dir.path, sync: 'full' });
      sut = open(storage);
      return sut;
    },
  });
}
