/**
 * The only reader of process.env. `parseConfig` is pure: a bad variable throws one `ConfigError` whose message names
 * the variable and the fix, and start-up stops with that one line.
 */
import { parseAccess, type AccessConfig } from './config-access';
import { ConfigError, integer, oneOf, type Env } from './config-values';

export { ConfigError } from './config-values';
export type { AccessConfig, AuthMode } from './config-access';

export type ModuleName = 'willow' | 'limiter' | 'locker';
export const ALL_MODULES: readonly ModuleName[] = ['willow', 'limiter', 'locker'];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly storage: 'embedded' | 'postgres';
  /** Directory of the embedded store, or `:memory:` for nothing on disk. */
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  /** PostgreSQL schema holding Willow's tables (created when missing). */
  readonly pgSchema: string;
  /** Connections in this instance's PostgreSQL pool (plus one for LISTEN). */
  readonly pgPoolSize: number;
  /** `full`: fsync before every answer (power-loss safe). `normal`: survives a process crash, not a power loss. */
  readonly sync: 'full' | 'normal';
  readonly modules: readonly ModuleName[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted item `Data`, in bytes of its JSON encoding. */
  readonly maxDataBytes: number;
  /** Largest accepted HTTP body, in bytes; always above `maxDataBytes`. */
  readonly maxBodyBytes: number;
  /**
   * How long an idle client connection is kept open for its next request (sent to clients as `Keep-Alive:
   * timeout=`). Above the 60 s idle timeout of common load balancers, so the balancer, not Willow, closes an idle
   * connection: a client never sends a request on a connection Willow is closing at that moment (ECONNRESET).
   */
  readonly keepAliveMs: number;
  /** Where the Limiter port is reached when this process does not serve the limiter; null = in-process. */
  readonly limiterUrl: TransportUrl | null;
  /** Where the Locker port is reached when this process does not serve the locker; null = in-process or absent. */
  readonly lockerUrl: TransportUrl | null;
  /** Serve this process's ports to other processes over this transport; null = HTTP only. */
  readonly transportListen: TransportUrl | null;
  /** `GET /metrics`, `GET /v1/events` and what feeds them; off (`WILLOW_METRICS=off`) costs nothing. */
  readonly metrics: boolean;
  /** Events kept for an event-stream client that reads slower than they come; one more drops it. Several batches
   * of 1000 items may commit together, and their events are written in one turn of the event loop, before any
   * client could read: the default leaves room for ten. */
  readonly eventsBuffer: number;
  /** How often the background timers run; defaults suit production, tests shorten them. */
  readonly timing: Timing;
  /** Access control (DESIGN.md §10). */
  readonly access: AccessConfig;
}


/** Internal tunables (milliseconds), each from `WILLOW_<NAME>_MS` when set. */
export interface Timing {
  /** A readiness check that does not answer within this is reported down. */
  readonly healthCheckMs: number;
  /** How long shutdown waits for answers in flight. */
  readonly drainMs: number;
  /** How often the queue looks for leases another instance let lapse (shared store). */
  readonly leaseSweepMs: number;
  /** How often the queue's index re-reads the shared store, in case an announcement was lost. */
  readonly catchUpMs: number;
  /** How often the locker looks for expired leases and forgotten instances (shared store). */
  readonly lockSweepMs: number;
  /** Shared store: how often the instances recount every running counter from the items processing, besides at
   * once when an instance leaves (CounterFence); counted from the last recount any instance ran. */
  readonly recountMs: number;
  /** Longest wait of one capacity-events long-poll over TCP. */
  readonly eventsPollMs: number;
  /** First and largest delay between retries of a lost connection or an unreachable dependency. */
  readonly retryFirstMs: number;
  readonly retryMaxMs: number;
  /** Between two heartbeat comments of an event stream. */
  readonly eventsHeartbeatMs: number;
}

export const DEFAULT_TIMING: Timing = Object.freeze({
  healthCheckMs: 1_500,
  drainMs: 3_000,
  leaseSweepMs: 500,
  catchUpMs: 5_000,
  lockSweepMs: 1_000,
  recountMs: 3_600_000,
  eventsPollMs: 20_000,
  retryFirstMs: 100,
  retryMaxMs: 2_000,
  eventsHeartbeatMs: 15_000,
});

/**
 * A parsed `tcp://host:port` or `nats://host:port[/prefix]`. Over NATS every subject is prefixed with `prefix.` when
 * a prefix is given, so several deployments (or test runs) can share one NATS server.
 */
export interface TransportUrl {
  readonly transport: 'tcp' | 'nats';
  readonly host: string;
  readonly port: number;
  readonly prefix: string | null;
  /** The URL as given, its password masked (for logs and health details). */
  readonly url: string;
  /** NATS credentials from the URL (`nats://user:pass@host:4222`); null without. */
  readonly credentials: { readonly user: string; readonly pass: string } | null;
}

export function parseConfig(env: Env): Config {
  const storage = oneOf(env, 'WILLOW_STORAGE', ['embedded', 'postgres'] as const, 'embedded');
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (storage === 'postgres' && !databaseUrl) {
    throw new ConfigError('DATABASE_URL', 'is required when WILLOW_STORAGE=postgres (e.g. postgres://willow@db:5432/willow)');
  }
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', `must be a postgres:// connection URL (got "${databaseUrl}")`);
  }
  const modules = parseModules(env.WILLOW_MODULES);
  const limiterUrl = remoteUrl(env, 'WILLOW_LIMITER_URL', 'limiter', modules);
  const lockerUrl = remoteUrl(env, 'WILLOW_LOCKER_URL', 'locker', modules);
  if (modules.includes('willow') && !modules.includes('limiter') && !limiterUrl) {
    throw new ConfigError('WILLOW_LIMITER_URL', 'is required when WILLOW_MODULES serves willow without limiter (e.g. tcp://limiter:9001)');
  }
  const maxDataBytes = integer(env, 'WILLOW_MAX_DATA_BYTES', 1_048_576, 1, 64 * 1_048_576);
  const transportListen = transportUrl(env, 'WILLOW_TRANSPORT_LISTEN');
  return {
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: env.HOST?.trim() || '0.0.0.0',
    storage,
    dataDir: env.WILLOW_DATA_DIR?.trim() || './data',
    databaseUrl,
    pgSchema: schemaName(env.WILLOW_PG_SCHEMA),
    pgPoolSize: integer(env, 'WILLOW_PG_POOL_SIZE', 20, 1, 1_000),
    sync: oneOf(env, 'WILLOW_SYNC', ['full', 'normal'] as const, 'full'),
    modules,
    logLevel: oneOf(env, 'WILLOW_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    maxDataBytes,
    // A batch of items plus their envelopes must fit, and the item cap must answer before the parser's does.
    maxBodyBytes: Math.max(16 * 1_048_576, maxDataBytes * 2 + 65_536),
    keepAliveMs: integer(env, 'WILLOW_HTTP_KEEP_ALIVE_MS', 65_000, 1_000, 600_000),
    limiterUrl,
    lockerUrl,
    transportListen,
    metrics: oneOf(env, 'WILLOW_METRICS', ['on', 'off'] as const, 'on') === 'on',
    eventsBuffer: integer(env, 'WILLOW_EVENTS_BUFFER', 10_000, 1, 1_000_000),
    timing: parseTiming(env),
    access: parseAccess(env, transportListen),
  };
}

function parseTiming(env: Env): Timing {
  const entries = Object.entries(DEFAULT_TIMING).map(([field, fallback]) => {
    const name = `WILLOW_${field.replace(/Ms$/, '').replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_MS`;
    return [field, integer(env, name, fallback, 1, 3_600_000)];
  });
  const timing = Object.fromEntries(entries) as unknown as Timing;
  if (timing.retryMaxMs < timing.retryFirstMs) {
    throw new ConfigError('WILLOW_RETRY_MAX_MS', `must be at least WILLOW_RETRY_FIRST_MS (${timing.retryFirstMs})`);
  }
  return timing;
}

function schemaName(raw: string | undefined): string {
  const name = raw?.trim() || 'public';
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(name)) {
    throw new ConfigError('WILLOW_PG_SCHEMA', `must be a lower-case SQL identifier of at most 48 characters (got "${name}")`);
  }
  return name;
}

function parseModules(raw: string | undefined): readonly ModuleName[] {
  if (!raw?.trim()) return ALL_MODULES;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ALL_MODULES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new ConfigError('WILLOW_MODULES', `must be a comma-separated subset of ${ALL_MODULES.join(',')} (got "${raw}")`);
  }
  return ALL_MODULES.filter((m) => names.includes(m));
}

/** A `*_URL` naming a module this process also serves is ambiguous: refuse it rather than guess. */
function remoteUrl(env: Env, name: string, module: ModuleName, modules: readonly ModuleName[]): TransportUrl | null {
  const url = transportUrl(env, name);
  if (url && modules.includes(module)) {
    throw new ConfigError(name, `must be unset when WILLOW_MODULES serves ${module} in this process`);
  }
  return url;
}

const TRANSPORT_URL = /^(tcp|nats):\/\/(?:([^:@/\s]+):([^@/\s]+)@)?([^/:@\s]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})(?:\/([A-Za-z0-9_-]+))?\/?$/;

export function transportUrl(env: Env, name: string): TransportUrl | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  const match = TRANSPORT_URL.exec(raw);
  const port = match ? Number(match[5]) : NaN;
  const masked = raw.replace(/:\/\/([^:@/\s]+):[^@/\s]+@/, '://$1:***@');
  if (!match || port < 1 || port > 65_535) {
    throw new ConfigError(name, `must be tcp://host:port or nats://[user:password@]host:port[/subject-prefix] (got "${masked}")`);
  }
  const [, transport, user, pass, rawHost, , prefix] = match;
  if (user !== undefined && transport !== 'nats') throw new ConfigError(name, `takes credentials only for nats:// (got "${masked}")`);
  const host = rawHost!.replace(/^\[(.*)\]$/, '$1');
  const credentials = user !== undefined ? { user: decodeURIComponent(user), pass: decodeURIComponent(pass!) } : null;
  return { transport: transport as 'tcp' | 'nats', host, port, prefix: prefix ?? null, url: masked, credentials };
}

export const CONFIG = Symbol('Config');
