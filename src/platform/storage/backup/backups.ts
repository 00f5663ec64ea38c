import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupInProgressError, BackupUnsupportedError, StorageFullError } from '../../../common/errors';
import { newId } from '../../../common/ids';

/** What a backup needs of the store: its kind, and (embedded) its size and a consistent copy written to a file. */
export interface BackupSource {
  readonly kind: 'embedded' | 'postgres';
  sizeBytes?(): number;
  backup?(file: string): Promise<void>;
}

/** Temporary copies are named so; one left by a process that died while sending it is removed at the next start. */
const TEMP_PREFIX = '.willow-backup-';
/** Free space kept beyond the copy's size, so that the copy never takes the last of the disk from live writes. */
const SPARE_BYTES = 64 * 1_048_576;

/**
 * Online backups of the embedded store, one at a time: the copy goes to a temporary file beside the database (or,
 * for a database in memory, `dir` null, in a directory of its own), is handed to `deliver` (the download), and is
 * removed however that ends. A copy that would leave less than SPARE_BYTES free is not started (507), so a backup
 * never fills the disk under the writes Willow goes on serving.
 */
export class Backups {
  private taking = false;

  constructor(
    private readonly source: BackupSource,
    private readonly dir: string | null,
    private readonly freeBytes: (dir: string) => Promise<number> = freeBytesOf,
  ) {
    if (dir !== null) removeStale(dir);
  }

  /** Throws BACKUP_UNSUPPORTED unless this store can be copied (a HEAD request asks only this). */
  assertSupported(): void {
    this.copier();
  }

  async send(deliver: (file: string, bytes: number) => Promise<void>): Promise<void> {
    const copy = this.copier();
    if (this.taking) throw new BackupInProgressError();
    this.taking = true;
    let dir: string | null = null;
    let file: string | null = null;
    try {
      dir = this.dir ?? (await mkdtemp(join(tmpdir(), 'willow-backup-')));
      if ((await this.freeBytes(dir)) < (this.source.sizeBytes?.() ?? 0) + SPARE_BYTES) throw new StorageFullError();
      file = join(dir, `${TEMP_PREFIX}${newId()}.db`);
      await copy(file);
      await deliver(file, (await stat(file)).size);
    } finally {
      this.taking = false;
      if (this.dir === null && dir !== null) await rm(dir, { recursive: true, force: true });
      else if (file !== null) await rm(file, { force: true });
    }
  }

  /** The store's copy function; BACKUP_UNSUPPORTED for a store that cannot be copied here (PostgreSQL). */
  private copier(): (file: string) => Promise<void> {
    const { source } = this;
    const backup = source.kind === 'embedded' ? source.backup : undefined;
    if (!backup) throw new BackupUnsupportedError();
    return (file) => backup.call(source, file);
  }
}

async function freeBytesOf(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

function removeStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no directory yet: nothing left over
  }
  for (const name of names) if (name.startsWith(TEMP_PREFIX)) rmSync(join(dir, name), { force: true });
}
