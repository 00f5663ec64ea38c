import Database from 'better-sqlite3';
import { join } from 'node:path';
import { StartupError } from '../../lifecycle/startup-error';
import { claimDataDir, prepareDataDir } from './data-dir';
import { mapSqliteError } from './sqlite-errors';
import { GroupCommitter } from './group-commit';

export interface EmbeddedOptions {
  /** Directory for `willow.db`, or `:memory:`. */
  readonly dataDir: string;
  readonly sync: 'full' | 'normal';
}

/** One module's ordered schema steps; a step runs once, in its own transaction, and is never edited after release. */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/**
 * The embedded store: one SQLite database in WAL mode, shared by every module, each of which owns its own tables
 * (prefixed with the module name) and applies its own migrations through `migrate`.
 */
export class EmbeddedStorage {
  readonly kind = 'embedded' as const;
  readonly db: Database.Database;
  private readonly committer: GroupCommitter;

  constructor(readonly options: EmbeddedOptions) {
    const onDisk = options.dataDir !== ':memory:';
    this.db = openDatabase(onDisk ? join(prepareDataDir(options.dataDir), 'willow.db') : ':memory:');
    if (onDisk) claimDataDir(this.db, options.dataDir);
    else this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Each write of a group commit runs in its own savepoint, whose undo journal SQLite keeps in a temporary file
    // unless told otherwise: in memory it costs no system calls (dequeue-batch + ack-batch +16 %, batch enqueue +8 %).
    this.db.pragma('temp_store = MEMORY');
    // Checkpoint the WAL every 64 MB rather than every 4 MB: a page written by many commits is copied back once, and
    // the commit that runs the checkpoint waits less often (+11 % dequeue-batch + ack-batch). Every commit still
    // syncs the WAL (synchronous), so nothing acknowledged depends on the checkpoint.
    this.db.pragma('wal_autocheckpoint = 16384');
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      module TEXT NOT NULL, id TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, id))`);
    this.committer = new GroupCommitter(this.db);
  }

  /** Applies `module`'s migrations that have not run yet, in order. */
  migrate(module: string, migrations: readonly Migration[]): void {
    const applied = new Set(
      this.db
        .prepare('SELECT id FROM schema_migrations WHERE module = ?')
        .pluck()
        .all(module) as string[],
    );
    const record = this.db.prepare('INSERT INTO schema_migrations (module, id, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        record.run(module, m.id, new Date().toISOString());
      })();
    }
  }

  /** Atomic write, group-committed with the other writes of this event-loop turn. */
  write<T>(fn: () => T): Promise<T> {
    return this.committer.write(fn);
  }

  /** Tells `observe` how long each group commit took (seconds). */
  observeCommits(observe: (seconds: number) => void): void {
    this.committer.observe = observe;
  }

  /** Consistent read of committed state (better-sqlite3 is synchronous; nothing interleaves). */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  /** The database's size in bytes (its pages; the WAL's content is in them once checkpointed). */
  sizeBytes(): number {
    return (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  /**
   * A consistent copy of the database, as of the moment it completes, written to `file` (a new SQLite database).
   * SQLite's online backup copies the pages in steps between turns of the event loop, so requests go on meanwhile;
   * what this connection commits during it is copied too. Only this connection can read the database (it holds
   * the exclusive lock), which is why the copy is taken here and not by another program.
   */
  async backup(file: string): Promise<void> {
    try {
      await this.db.backup(file);
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  close(): void {
    this.committer.flush();
    if (this.db.open) this.db.close();
  }
}

function openDatabase(file: string): Database.Database {
  try {
    return new Database(file);
  } catch (error) {
    throw new StartupError(`Invalid data directory: ${file} cannot be opened (${(error as Error).message}); point WILLOW_DATA_DIR at another directory`);
  }
}
