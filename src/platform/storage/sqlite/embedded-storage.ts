import Database from 'better-sqlite3';
import { join } from 'node:path';
import { StartupError } from '../../lifecycle/startup-error';
import { claimDataDir, prepareDataDir } from './data-dir';
import { mapSqliteError } from './sqlite-errors';
import { GroupCommitter, type CommitSync } from './group-commit';
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

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
  private readonly walSync: WalSync | null;

  constructor(readonly options: EmbeddedOptions) {
    const onDisk = options.dataDir !== ':memory:';
    this.db = openDatabase(onDisk ? join(prepareDataDir(options.dataDir), 'willow.db') : ':memory:');
    if (onDisk) claimDataDir(this.db, options.dataDir);
    else this.db.pragma('journal_mode = WAL');
    // WILLOW_SYNC=full: every acknowledged write is on disk. COMMIT writes the log without syncing it (NORMAL), and the
    // group committer flushes it (fdatasync) on libuv's pool before it settles the writes (see GroupCommitter), so the
    // event loop goes on serving requests during the flush (dequeue-batch + ack-batch +14 %). Where the log is not a
    // WAL file on disk (an in-memory database) COMMIT syncs itself, as with synchronous=FULL.
    const walFile = onDisk && this.db.pragma('journal_mode', { simple: true }) === 'wal' ? `${databaseFile(this.db)}-wal` : null;
    const flushOffLoop = options.sync === 'full' && walFile !== null;
    this.db.pragma(`synchronous = ${options.sync === 'full' && !flushOffLoop ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Each write of a group commit runs in its own savepoint, whose undo journal SQLite keeps in a temporary file
    // unless told otherwise: in memory it costs no system calls (dequeue-batch + ack-batch +16 %, batch enqueue +8 %).
    this.db.pragma('temp_store = MEMORY');
    // Checkpoint the WAL every 64 MB rather than every 4 MB: a page written by many commits is copied back once, and
    // the commit that runs the checkpoint waits less often (+11 % dequeue-batch + ack-batch). The WAL is flushed before
    // any write it holds is acknowledged, so nothing acknowledged depends on the checkpoint.
    this.db.pragma('wal_autocheckpoint = 16384');
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      module TEXT NOT NULL, id TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, id))`);
    this.walSync = flushOffLoop ? openWalSync(this.db, walFile) : null;
    this.committer = new GroupCommitter(this.db, { durable: this.walSync });
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

  /** Tells `observe` how long each flush of the log to disk took (seconds; WILLOW_SYNC=full on disk only). */
  observeFlushes(observe: (seconds: number) => void): void {
    this.committer.observeFlush = observe;
  }

  /** Consistent read of committed state (better-sqlite3 is synchronous; nothing interleaves). */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  /** Throws while the store cannot be used: also once a flush of the log failed (every write is refused). */
  ping(): void {
    if (this.committer.failed) throw this.committer.failed;
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
    this.committer.drain();
    // After a failed flush the log is left as it is on disk for the restart to recover from: closing would copy it
    // into the database (a checkpoint), pages whose write failed included.
    if (this.db.open && !this.committer.failed) this.db.close();
    this.walSync?.close();
  }
}

function openWalSync(db: Database.Database, walFile: string): WalSync {
  try {
    return new WalSync(walFile);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The file SQLite opened for the main database, links resolved (its log is that name with `-wal`). */
function databaseFile(db: Database.Database): string {
  const main = (db.pragma('database_list') as Array<{ name: string; file: string }>).find((d) => d.name === 'main');
  if (!main?.file) throw new StartupError(`Invalid data directory: SQLite does not name the file of ${db.name}`);
  return main.file;
}

/**
 * fdatasync of the database's write-ahead log, through a descriptor opened when the database is: SQLite keeps the
 * file for as long as the connection is open (writing it again from the start after a checkpoint, same file), and
 * removes it only when the connection closes, having copied it into the database file and synced that.
 */
export class WalSync implements CommitSync {
  private fd: number | null;
  /** A flush on the pool holds the descriptor: closing waits for it, so the number is never reused under it. */
  private inFlight = 0;
  private closing = false;

  constructor(file: string) {
    try {
      this.fd = openSync(file, 'r');
    } catch (error) {
      throw new StartupError(`Invalid data directory: ${file} cannot be opened (${(error as Error).message}); point WILLOW_DATA_DIR at another directory`);
    }
  }

  async sync(): Promise<void> {
    const fd = this.descriptor();
    this.inFlight++;
    try {
      await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    } finally {
      this.inFlight--;
      if (this.closing) this.close();
    }
  }

  syncNow(): void {
    fdatasyncSync(this.descriptor());
  }

  /** Lets the descriptor go, once no flush uses it. */
  close(): void {
    this.closing = true;
    if (this.inFlight > 0 || this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private descriptor(): number {
    if (this.fd === null || this.closing) throw new Error('the write-ahead log is closed');
    return this.fd;
  }
}

function openDatabase(file: string): Database.Database {
  try {
    return new Database(file);
  } catch (error) {
    throw new StartupError(`Invalid data directory: ${file} cannot be opened (${(error as Error).message}); point WILLOW_DATA_DIR at another directory`);
  }
}
