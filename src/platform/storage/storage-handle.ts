import type { EmbeddedStorage } from './sqlite/embedded-storage';

/** What each module's store factory receives; one variant per storage kind (PostgreSQL joins here). */
export type StorageHandle = EmbeddedStorage;

export const STORAGE = Symbol('Storage');
