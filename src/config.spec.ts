import { ALL_MODULES, ConfigError, DEFAULT_TIMING, parseConfig } from './config';

describe(parseConfig.name, () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(parseConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      storage: 'embedded',
      dataDir: './data',
      databaseUrl: null,
      pgSchema: 'public',
      pgPoolSize: 20,
      sync: 'full',
      modules: ALL_MODULES,
      logLevel: 'info',
      maxDataBytes: 1_048_576,
      maxBodyBytes: 16 * 1_048_576,
      keepAliveMs: 65_000,
      limiterUrl: null,
      lockerUrl: null,
      transportListen: null,
      metrics: true,
      eventsBuffer: 10_000,
      timing: DEFAULT_TIMING,
      access: { mode: 'protected', adminKey: null, rateLimit: 1_000, maxWaiters: 1_000, corsOrigins: [], transportSecret: null },
    });
  });

  it('reads each timing from WILLOW_<NAME>_MS and refuses a retry cap below the first retry', () => {
    const timing = parseConfig({ WILLOW_CATCH_UP_MS: '200', WILLOW_LOCK_SWEEP_MS: '50', WILLOW_HEALTH_CHECK_MS: '300' }).timing;
    expect(timing).toEqual({ ...DEFAULT_TIMING, catchUpMs: 200, lockSweepMs: 50, healthCheckMs: 300 });
    expect(() => parseConfig({ WILLOW_LEASE_SWEEP_MS: '0' })).toThrow('WILLOW_LEASE_SWEEP_MS must be an integer');
    expect(() => parseConfig({ WILLOW_RETRY_MAX_MS: '50' })).toThrow('WILLOW_RETRY_MAX_MS must be at least');
  });

  it('treats blank values as unset', () => {
    const blank = { PORT: ' ', WILLOW_SYNC: '', WILLOW_MODULES: '  ', WILLOW_DATA_DIR: ' ', WILLOW_LIMITER_URL: ' ' };
    expect(parseConfig(blank)).toEqual(parseConfig({}));
  });

  it('reads every variable it accepts', () => {
    const config = parseConfig({
      PORT: ' 9090 ',
      HOST: '127.0.0.1',
      WILLOW_STORAGE: 'embedded',
      WILLOW_DATA_DIR: ':memory:',
      DATABASE_URL: 'postgres://willow@db/willow',
      WILLOW_PG_SCHEMA: 'willow_a',
      WILLOW_PG_POOL_SIZE: '8',
      WILLOW_SYNC: 'normal',
      WILLOW_MODULES: 'locker, willow,limiter',
      WILLOW_LOG_LEVEL: 'silent',
      WILLOW_MAX_DATA_BYTES: '2048',
      WILLOW_ADMIN_KEY: 'k'.repeat(32),
      WILLOW_RATE_LIMIT: '50',
      WILLOW_MAX_WAITERS: '7',
      WILLOW_CORS_ORIGINS: 'https://ci.example.com, http://localhost:3000',
      WILLOW_TRANSPORT_SECRET: 's'.repeat(16),
    });
    expect(config).toEqual({
      port: 9090,
      host: '127.0.0.1',
      storage: 'embedded',
      dataDir: ':memory:',
      databaseUrl: 'postgres://willow@db/willow',
      pgSchema: 'willow_a',
      pgPoolSize: 8,
      sync: 'normal',
      modules: ['willow', 'limiter', 'locker'],
      logLevel: 'silent',
      maxDataBytes: 2048,
      maxBodyBytes: 16 * 1_048_576,
      keepAliveMs: 65_000,
      limiterUrl: null,
      lockerUrl: null,
      transportListen: null,
      metrics: true,
      eventsBuffer: 10_000,
      timing: DEFAULT_TIMING,
      access: {
        mode: 'keys',
        adminKey: 'k'.repeat(32),
        rateLimit: 50,
        maxWaiters: 7,
        corsOrigins: ['https://ci.example.com', 'http://localhost:3000'],
        transportSecret: 's'.repeat(16),
      },
    });
  });

  it('turns metrics and events off with WILLOW_METRICS=off, and sizes the event buffer', () => {
    expect(parseConfig({ WILLOW_METRICS: 'off', WILLOW_EVENTS_BUFFER: '50' })).toMatchObject({ metrics: false, eventsBuffer: 50 });
    expect(() => parseConfig({ WILLOW_METRICS: 'no' })).toThrow('Invalid configuration: WILLOW_METRICS must be one of on, off (got "no")');
    expect(() => parseConfig({ WILLOW_EVENTS_BUFFER: '0' })).toThrow(/WILLOW_EVENTS_BUFFER must be an integer from 1/);
  });

  it('selects PostgreSQL when WILLOW_STORAGE=postgres names a DATABASE_URL', () => {
    const config = parseConfig({ WILLOW_STORAGE: 'postgres', DATABASE_URL: 'postgresql://127.0.0.1:5432/test' });
    expect(config).toMatchObject({ storage: 'postgres', databaseUrl: 'postgresql://127.0.0.1:5432/test', pgSchema: 'public', pgPoolSize: 20 });
  });

  it('refuses WILLOW_STORAGE=postgres without DATABASE_URL, naming DATABASE_URL', () => {
    expect(() => parseConfig({ WILLOW_STORAGE: 'postgres' })).toThrow(/^Invalid configuration: DATABASE_URL is required/);
  });

  it('reads a split deployment: served modules, remote ports and the listen address', () => {
    const config = parseConfig({
      WILLOW_MODULES: 'willow',
      WILLOW_LIMITER_URL: 'tcp://limiter:9001',
      WILLOW_LOCKER_URL: 'nats://127.0.0.1:4222/prod',
      WILLOW_TRANSPORT_LISTEN: 'nats://nats:4222',
      WILLOW_TRANSPORT_SECRET: 'a-shared-transport-secret',
    });
    expect(config.modules).toEqual(['willow']);
    expect(config.limiterUrl).toEqual({ transport: 'tcp', host: 'limiter', port: 9001, prefix: null, url: 'tcp://limiter:9001', credentials: null });
    expect(config.lockerUrl).toEqual({ transport: 'nats', host: '127.0.0.1', port: 4222, prefix: 'prod', url: 'nats://127.0.0.1:4222/prod', credentials: null });
    expect(config.transportListen).toMatchObject({ transport: 'nats', host: 'nats', port: 4222, prefix: null });
  });

  it.each(['willow', 'willow,locker'])('requires WILLOW_LIMITER_URL when WILLOW_MODULES=%p serves willow without limiter', (modules) => {
    expect(() => parseConfig({ WILLOW_MODULES: modules })).toThrow(/^Invalid configuration: WILLOW_LIMITER_URL is required/);
  });

  it('lets a limiter-only or locker-only process run without any other port', () => {
    expect(parseConfig({ WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: 'tcp://127.0.0.1:9001' }).modules).toEqual(['limiter']);
    expect(parseConfig({ WILLOW_MODULES: 'locker' }).lockerUrl).toBeNull();
  });

  describe('access control', () => {
    it('refuses a WILLOW_ADMIN_KEY under 32 characters in one line that never shows the key', () => {
      const attempt = () => parseConfig({ WILLOW_ADMIN_KEY: 'short-secret-value' });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/^Invalid configuration: WILLOW_ADMIN_KEY must be at least 32 characters \(got 18\)/);
      expect(attempt).not.toThrow(/short-secret-value/);
    });

    it('opens everything only on WILLOW_AUTH=off, and refuses it beside an admin key', () => {
      expect(parseConfig({ WILLOW_AUTH: 'off' }).access.mode).toBe('off');
      expect(() => parseConfig({ WILLOW_AUTH: 'off', WILLOW_ADMIN_KEY: 'k'.repeat(40) })).toThrow(/WILLOW_AUTH is off/);
      expect(() => parseConfig({ WILLOW_AUTH: 'no' })).toThrow(/WILLOW_AUTH must be one of on, off/);
    });

    it('requires WILLOW_TRANSPORT_SECRET when a transport listens beyond loopback', () => {
      expect(() => parseConfig({ WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: 'tcp://0.0.0.0:9001' })).toThrow(
        /^Invalid configuration: WILLOW_TRANSPORT_SECRET is required when WILLOW_TRANSPORT_LISTEN is beyond loopback/,
      );
      const env = { WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: 'tcp://0.0.0.0:9001', WILLOW_TRANSPORT_SECRET: 'x'.repeat(16) };
      expect(parseConfig(env).access.transportSecret).toBe('x'.repeat(16));
      expect(parseConfig({ WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: 'nats://localhost:4222' }).access.transportSecret).toBeNull();
    });

    it('reads NATS credentials from the URL and never shows the password', () => {
      const config = parseConfig({ WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: 'nats://willow:p%40ss@nats:4222/prod' });
      expect(config.limiterUrl).toEqual({
        transport: 'nats', host: 'nats', port: 4222, prefix: 'prod', url: 'nats://willow:***@nats:4222/prod', credentials: { user: 'willow', pass: 'p@ss' },
      });
      expect(() => parseConfig({ WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: 'tcp://u:secretpw@limiter:9001' })).toThrow(/credentials only for nats/);
      expect(() => parseConfig({ WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: 'tcp://u:secretpw@limiter:9001' })).not.toThrow(/secretpw/);
    });

    it('refuses a CORS origin that is not scheme://host', () => {
      expect(() => parseConfig({ WILLOW_CORS_ORIGINS: 'ci.example.com' })).toThrow(/WILLOW_CORS_ORIGINS must be comma-separated origins/);
    });
  });

  it('reads the idle connection timeout from WILLOW_HTTP_KEEP_ALIVE_MS', () => {
    expect(parseConfig({ WILLOW_HTTP_KEEP_ALIVE_MS: '1000' }).keepAliveMs).toBe(1_000);
    expect(parseConfig({ WILLOW_HTTP_KEEP_ALIVE_MS: '600000' }).keepAliveMs).toBe(600_000);
  });

  it('accepts port 0 (any free port) and 65535', () => {
    expect(parseConfig({ PORT: '0' }).port).toBe(0);
    expect(parseConfig({ PORT: '65535' }).port).toBe(65_535);
  });

  it('keeps the HTTP body limit above the item data cap, so the item cap answers first', () => {
    for (const bytes of ['1', '1048576', '16777216', String(64 * 1_048_576)]) {
      const config = parseConfig({ WILLOW_MAX_DATA_BYTES: bytes });
      expect(config.maxBodyBytes).toBeGreaterThan(config.maxDataBytes);
    }
  });

  const badValues: ReadonlyArray<[variable: string, value: string]> = [
    ['PORT', 'http'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['WILLOW_STORAGE', 'mysql'],
    ['DATABASE_URL', 'mysql://db/willow'],
    ['WILLOW_PG_SCHEMA', 'Willow'],
    ['WILLOW_PG_SCHEMA', 'a;drop'],
    ['WILLOW_PG_POOL_SIZE', '0'],
    ['WILLOW_SYNC', 'FULL'],
    ['WILLOW_SYNC', 'off'],
    ['WILLOW_MODULES', 'willow,queue'],
    ['WILLOW_MODULES', ','],
    ['WILLOW_LOG_LEVEL', 'verbose'],
    ['WILLOW_MAX_DATA_BYTES', '0'],
    ['WILLOW_MAX_DATA_BYTES', String(64 * 1_048_576 + 1)],
    ['WILLOW_MAX_DATA_BYTES', '1MiB'],
    ['WILLOW_HTTP_KEEP_ALIVE_MS', '999'],
    ['WILLOW_HTTP_KEEP_ALIVE_MS', '600001'],
    ['WILLOW_HTTP_KEEP_ALIVE_MS', '65s'],
    ['WILLOW_LIMITER_URL', 'tcp://limiter:9001'],
    ['WILLOW_LOCKER_URL', 'nats://nats:4222'],
    ['WILLOW_TRANSPORT_LISTEN', 'http://0.0.0.0:9001'],
    ['WILLOW_TRANSPORT_LISTEN', 'tcp://0.0.0.0'],
    ['WILLOW_TRANSPORT_LISTEN', 'tcp://0.0.0.0:70000'],
    ['WILLOW_TRANSPORT_LISTEN', 'nats://nats:4222/a.b'],
  ];

  it.each(badValues)('refuses %s=%p with one ConfigError line that names the variable', (variable, value) => {
    const error = catchError(() => parseConfig({ [variable]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect(error.message).not.toContain('\n');
  });

  it('names the variable at fault, not a neighbour, when several are set', () => {
    const error = catchError(() => parseConfig({ PORT: '8080', WILLOW_SYNC: 'normal', WILLOW_LOG_LEVEL: 'loud' }));
    expect(error.message).toMatch(/^Invalid configuration: WILLOW_LOG_LEVEL must be one of .* \(got "loud"\)$/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}
