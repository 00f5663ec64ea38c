import type { PostgresStorage } from './postgres/postgres-storage';
import type { EmbeddedStorage } from './sqlite/embedded-storage';

/** What each module's store factory receives; one variant per storage kind, told apart by `kind`. */
export type StorageHandle = EmbeddedStorage | PostgresStorage;

export const STORAGE = Symbol('Storage');
