import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresStorage } from '../../../src/platform/storage/postgres/postgres-storage';
import type { Fixture } from './fixture';

/**
 * The database the PostgreSQL suites run against: DATABASE_URL. Without it they are skipped with a loud warning,
 * except under CI=true, where a missing database is a failure (CI must run them; `.ci/run` starts PostgreSQL).
 */
export function postgresTestUrl(): string | null {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return url;
  if (process.env.CI === 'true') {
    throw new Error('DATABASE_URL is not set under CI=true: the PostgreSQL suites must run (see .ci/run)');
  }
  console.warn(
    '\n**********************************************************************\n' +
      '* DATABASE_URL is not set: the PostgreSQL suites are SKIPPED.         *\n' +
      '* Run them with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test  *\n' +
      '**********************************************************************\n',
  );
  return null;
}

/** `describe` when PostgreSQL is available, a loudly reported `describe.skip` otherwise. */
export function describePostgres(name: string, body: (url: string) => void): void {
  const url = postgresTestUrl();
  if (url) describe(name, () => body(url));
  else describe.skip(`${name} (DATABASE_URL not set)`, () => it('needs PostgreSQL', () => undefined));
}

/** A schema name no other test run uses. */
export function freshSchemaName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openPostgresStorage(url: string, schema: string, poolSize = 5): Promise<PostgresStorage> {
  const storage = new PostgresStorage({ url, schema, poolSize });
  await storage.open();
  return storage;
}

/**
 * A fixture for any store built on `PostgresStorage`, in a schema of its own that `dispose` drops. `reopen` closes the
 * pool and opens a new one on the same schema, which is what a restart does.
 */
export async function postgresFixture<T>(url: string, open: (storage: PostgresStorage) => Promise<T>): Promise<Fixture<T>> {
  const schema = freshSchemaName();
  let storage = await openPostgresStorage(url, schema);
  let sut = await open(storage);
  return {
    get sut() {
      return sut;
    },
    reopen: async () => {
      await storage.close();
      storage = await openPostgresStorage(url, schema);
      sut = await open(storage);
      return sut;
    },
    dispose: async () => {
      await storage.close();
      await dropSchema(url, schema);
    },
  };
}

/**
 * Runs `run` and answers it with the text of every statement this process sent through node-postgres meanwhile, in
 * order (a simple query of several statements is one text): for tests that count round trips.
 */
export async function statementsSentBy<T>(run: () => Promise<T>): Promise<{ readonly result: T; readonly texts: string[] }> {
  const query = jest.spyOn(Client.prototype, 'query');
  try {
    const result = await run();
    return { result, texts: query.mock.calls.map(([config]) => (typeof config === 'string' ? config : (config as { text: string }).text)) };
  } finally {
    query.mockRestore();
  }
}
