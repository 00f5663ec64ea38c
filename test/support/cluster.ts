import { dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { call, startServer, type ChildServer } from './child-server';

/** Connections per instance: several instances (and other suites) share one PostgreSQL server. */
const POOL_SIZE = '8';

/**
 * Several real Willow processes (dist/main.js) on one PostgreSQL database, in a schema of their own that `dispose`
 * drops: what DESIGN §8 calls "several instances behave as one service".
 */
export interface Cluster {
  readonly databaseUrl: string;
  readonly schema: string;
  /** Every instance started so far, in start order (killed ones included). */
  readonly instances: ChildServer[];
  /** The environment an instance of this cluster runs with (`extra` wins). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Starts one more instance on the cluster's schema. */
  add(extra?: Record<string, string>): Promise<ChildServer>;
  /** Stops (SIGKILL) every instance still running and drops the schema. */
  dispose(): Promise<void>;
}

export interface ClusterOptions {
  /** Prefix of the schema's name. */
  readonly prefix?: string;
  /** Extra environment for every instance. */
  readonly env?: Record<string, string>;
}

/** Starts `size` instances together on a fresh (empty) schema and waits until every one is ready. */
export async function startCluster(databaseUrl: string, size: number, options: ClusterOptions = {}): Promise<Cluster> {
  const schema = freshSchemaName(options.prefix ?? 'e2e');
  const instances: ChildServer[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    WILLOW_STORAGE: 'postgres',
    DATABASE_URL: databaseUrl,
    WILLOW_PG_SCHEMA: schema,
    WILLOW_PG_POOL_SIZE: POOL_SIZE,
    ...options.env,
    ...extra,
  });
  const add = async (extra?: Record<string, string>) => {
    const server = await startServer(env(extra), 30_000);
    instances.push(server);
    return server;
  };
  const cluster: Cluster = {
    databaseUrl,
    schema,
    instances,
    env,
    add,
    dispose: async () => {
      await Promise.all(instances.map((s) => (s.process.exitCode === null && s.process.signalCode === null ? s.kill9() : undefined)));
      await dropSchema(databaseUrl, schema);
    },
  };
  const started = await Promise.allSettled(Array.from({ length: size }, () => add()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await cluster.dispose();
    throw failed.reason;
  }
  return cluster;
}

export function isRunning(server: ChildServer): boolean {
  return server.process.exitCode === null && server.process.signalCode === null;
}

/** `call`, failing with the answer in the message unless the status is `status`. */
export async function expectCall(server: ChildServer, status: number, method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(server.url, method, path, body);
  if (res.status !== status) {
    throw new Error(`${method} ${path} on ${server.url}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Median and maximum of a list of durations (ms). */
export function summary(values: readonly number[]): { p50: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted[sorted.length - 1] };
}
