import { dropSchema, freshSchemaName, postgresTestUrl } from '../conformance/support/postgres-fixture';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app';

/** One store an e2e suite runs against: a name for `describe.each`, and how to start and dispose of an app on it. */
export interface StoreCase {
  readonly name: string;
  start(env?: Record<string, string>, options?: TestAppOptions): Promise<TestApp>;
}

/**
 * The embedded store (`:memory:`) and, when DATABASE_URL is set (always under CI=true), PostgreSQL in a fresh
 * schema dropped on close: the same input must get the same answer on both (DESIGN.md §2).
 */
export function storeCases(): StoreCase[] {
  const cases: StoreCase[] = [{ name: 'embedded', start: (env = {}, options = {}) => createTestApp(env, options) }];
  const url = postgresTestUrl();
  if (url) {
    cases.push({
      name: 'postgres',
      start: async (env = {}, options = {}) => {
        const schema = freshSchemaName('e2e');
        const app = await createTestApp({ WILLOW_STORAGE: 'postgres', DATABASE_URL: url, WILLOW_PG_SCHEMA: schema, ...env }, options);
        return { ...app, close: async () => { await app.close(); await dropSchema(url, schema); } };
      },
    });
  }
  return cases;
}
