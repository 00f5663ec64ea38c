import { readdirSync, rmSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupInProgressError, BackupUnsupportedError } from '../../../common/errors';
import { newId } from '../../../common/ids';

/** What a backup needs of the store: its kind, and (embedded) a consistent copy written to a file. */
export interface BackupSource {
  readonly kind: 'embedded' | 'postgres';
  backup?(file: string): Promise<void>;
}

/** Temporary copies are named so; one left by a process that died while sending it is removed at the next start. */
const TEMP_PREFIX = '.willow-backup-';

/**
 * Online backups of the embedded store, one at a time: the copy goes to a temporary file beside the database (the
 * same disk, so a full disk answers 507 rather than filling another), is handed to `deliver` (the download), and is
 * removed however that ends.
 */
export class Backups {
  private taking = false;

  constructor(
    private readonly source: BackupSource,
    private readonly dir: string,
  ) {
    removeStale(dir);
  }

  async send(deliver: (file: string, bytes: number) => Promise<void>): Promise<void> {
    if (this.source.kind !== 'embedded' || !this.source.backup) throw new BackupUnsupportedError();
    if (this.taking) throw new BackupInProgressError();
    this.taking = true;
    const file = join(this.dir, `${TEMP_PREFIX}${newId()}.db`);
    try {
      await this.source.backup(file);
      await deliver(file, (await stat(file)).size);
    } finally {
      this.taking = false;
      await rm(file, { force: true });
    }
  }
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
