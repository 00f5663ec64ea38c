import type { Database } from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../../lifecycle/startup-error';


const HOLDER_FILE = 'willow.pid';

/** Creates the data directory, or explains in one line why it cannot be used. */
export function prepareDataDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch (error) {
    throw new StartupError(`Invalid data directory: WILLOW_DATA_DIR=${dir} cannot be used (${describe(error)}); point it at a writable directory`);
  }
}

/**
 * Makes this process the only one using the data directory: SQLite's exclusive locking mode takes an OS file lock
 * on `willow.db` with the first write and keeps it until the connection closes or the process dies (so a `kill -9`
 * leaves nothing stale behind). A second process fails to get it at once and names the holder recorded in
 * `willow.pid`. Call on a fresh connection, before any other statement.
 */
export function claimDataDir(db: Database, dir: string): void {
  db.pragma('busy_timeout = 0');
  db.pragma('locking_mode = EXCLUSIVE');
  try {
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new StartupError(`Data directory ${dir} is in use by another Willow process (${holderOf(dir)}); stop it, or give this one its own WILLOW_DATA_DIR`);
    }
    throw new StartupError(`Invalid data directory: ${join(dir, 'willow.db')} cannot be opened (${describe(error)}); point WILLOW_DATA_DIR at another directory`);
  }
  try {
    writeFileSync(join(dir, HOLDER_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }) + '\n');
  } catch (error) {
    db.close();
    throw new StartupError(`Invalid data directory: ${join(dir, HOLDER_FILE)} cannot be written (${describe(error)}); free space or fix its permissions`);
  }
}

function holderOf(dir: string): string {
  try {
    const holder = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as { pid?: number; host?: string; startedAt?: string };
    return `pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}`;
  } catch {
    return 'holder unknown';
  }
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code && e.message && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : (e.message ?? String(error));
}
