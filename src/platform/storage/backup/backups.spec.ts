import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backups, type BackupSource } from './backups';

/**
 * A store whose copy writes `content` and then waits for `finish` or `fail`, which also settle a copy that has not
 * started yet (the backup first checks free space, asynchronously).
 */
function embedded(content = 'copy'): BackupSource & { started: number; finish: () => void; fail: (error: Error) => void } {
  const outcomes: Array<Error | null> = [];
  let waiting: ((outcome: Error | null) => void) | null = null;
  const settle = (outcome: Error | null) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(outcome);
    } else outcomes.push(outcome);
  };
  const source = {
    kind: 'embedded' as const,
    started: 0,
    sizeBytes: () => 0,
    finish: () => settle(null),
    fail: (error: Error) => settle(error),
    backup: async (file: string) => {
      source.started++;
      writeFileSync(file, content);
      const outcome = outcomes.length > 0 ? outcomes.shift()! : await new Promise<Error | null>((resolve) => (waiting = resolve));
      if (outcome) throw outcome;
    },
  };
  return source;
}

describe(Backups.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'willow-backups-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const leftovers = () => readdirSync(dir);

  it('hands the copy to the download, then removes it', async () => {
    const source = embedded('0123456789');
    const backups = new Backups(source, dir);
    let seen: { bytes: number; there: boolean } | null = null;
    const sending = backups.send(async (file, bytes) => {
      seen = { bytes, there: existsSync(file) };
    });
    source.finish();
    await sending;
    expect(seen).toEqual({ bytes: 10, there: true });
    expect(leftovers()).toEqual([]);
  });

  it('takes one backup at a time: another asked meanwhile is refused with BACKUP_IN_PROGRESS, and one after it is taken', async () => {
    const source = embedded();
    const backups = new Backups(source, dir);
    const first = backups.send(async () => {});
    await expect(backups.send(async () => {})).rejects.toMatchObject({ code: 'BACKUP_IN_PROGRESS' });
    source.finish();
    await first;
    const again = backups.send(async () => {});
    source.finish();
    await again;
    expect(source.started).toBe(2);
  });

  it('removes the copy when the download fails, and when the copy itself fails, and can back up again after', async () => {
    const source = embedded();
    const backups = new Backups(source, dir);
    const failingDownload = backups.send(async () => {
      throw new Error('client went away');
    });
    source.finish();
    await expect(failingDownload).rejects.toThrow('client went away');
    expect(leftovers()).toEqual([]);
    const failingCopy = backups.send(async () => {});
    source.fail(Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' }));
    await expect(failingCopy).rejects.toMatchObject({ code: 'STORAGE_FULL' });
    expect(leftovers()).toEqual([]);
    const after = backups.send(async () => {});
    source.finish();
    await after;
    expect(source.started).toBe(3);
  });

  it('does not start a copy that would leave less than 64 MiB free (507), and starts one that leaves more', async () => {
    const source = embedded();
    source.sizeBytes = () => 100 * 1_048_576;
    const tight = new Backups(source, dir, async () => 164 * 1_048_576 - 1);
    await expect(tight.send(async () => {})).rejects.toMatchObject({ code: 'STORAGE_FULL' });
    expect(source.started).toBe(0);
    const roomy = new Backups(source, dir, async () => 164 * 1_048_576);
    const sending = roomy.send(async () => {});
    source.finish();
    await sending;
    expect(source.started).toBe(1);
    expect(leftovers()).toEqual([]);
  });

  it('copies a database in memory into a directory of its own, removed with the copy', async () => {
    const source = embedded();
    const backups = new Backups(source, null);
    let where = '';
    const sending = backups.send(async (file) => {
      where = file;
      expect(readdirSync(join(file, '..'))).toHaveLength(1);
    });
    source.finish();
    await sending;
    expect(where.startsWith(tmpdir())).toBe(true);
    expect(existsSync(join(where, '..'))).toBe(false);
  });

  it('refuses a PostgreSQL store with BACKUP_UNSUPPORTED, naming its own tools', async () => {
    const backups = new Backups({ kind: 'postgres' }, dir);
    await expect(backups.send(async () => {})).rejects.toMatchObject({ code: 'BACKUP_UNSUPPORTED', message: expect.stringContaining('pg_dump') });
  });

  it('removes the copies a process left behind when it died sending them, and nothing else', () => {
    writeFileSync(join(dir, '.willow-backup-01ABC.db'), 'stale');
    writeFileSync(join(dir, 'willow.db'), 'data');
    writeFileSync(join(dir, 'willow-20261206.db'), 'an operator\'s own copy');
    new Backups(embedded(), dir);
    expect(leftovers().sort()).toEqual(['willow-20261206.db', 'willow.db']);
  });
});
