import { ConfigError, integer, oneOf, type Env } from './config-values';

/**
 * `keys`: every request needs a key (`WILLOW_ADMIN_KEY` is set). `protected`: no key configured, so requests without
 * a key are answered only from loopback. `off` (`WILLOW_AUTH=off`): everything is open, e.g. behind an
 * authenticating proxy.
 */
export type AuthMode = 'keys' | 'protected' | 'off';

export interface AccessConfig {
  readonly mode: AuthMode;
  /** The bootstrap key (scope admin); null unless mode is `keys`. Never logged. */
  readonly adminKey: string | null;
  /** Requests per second per key (or per client address without a key). */
  readonly rateLimit: number;
  /** Concurrent long-polls and lock waits per key (or per client address). */
  readonly maxWaiters: number;
  /** Origins allowed by CORS; empty = CORS off. */
  readonly corsOrigins: readonly string[];
  /** Carried by every RPC message and required of every one received; null = none (loopback transports only). */
  readonly transportSecret: string | null;
}

/** The shortest `WILLOW_ADMIN_KEY` and `WILLOW_TRANSPORT_SECRET` accepted. */
export const ADMIN_KEY_MIN_LENGTH = 32;
export const TRANSPORT_SECRET_MIN_LENGTH = 16;

export function parseAccess(env: Env, listen: { readonly host: string; readonly url: string } | null): AccessConfig {
  const auth = oneOf(env, 'WILLOW_AUTH', ['on', 'off'] as const, 'on');
  const adminKey = env.WILLOW_ADMIN_KEY?.trim() || null;
  if (adminKey !== null && adminKey.length < ADMIN_KEY_MIN_LENGTH) {
    // The key itself is never echoed, only its length.
    throw new ConfigError('WILLOW_ADMIN_KEY', `must be at least ${ADMIN_KEY_MIN_LENGTH} characters (got ${adminKey.length}); generate one with: openssl rand -base64 33`);
  }
  if (adminKey !== null && auth === 'off') {
    throw new ConfigError('WILLOW_AUTH', 'is off, which would ignore WILLOW_ADMIN_KEY; unset one of them');
  }
  const transportSecret = env.WILLOW_TRANSPORT_SECRET?.trim() || null;
  if (transportSecret !== null && transportSecret.length < TRANSPORT_SECRET_MIN_LENGTH) {
    throw new ConfigError('WILLOW_TRANSPORT_SECRET', `must be at least ${TRANSPORT_SECRET_MIN_LENGTH} characters (got ${transportSecret.length})`);
  }
  if (listen && !isLoopbackHost(listen.host) && transportSecret === null) {
    throw new ConfigError('WILLOW_TRANSPORT_SECRET', `is required when WILLOW_TRANSPORT_LISTEN is beyond loopback (${listen.url}); set the same secret on every process`);
  }
  const corsOrigins = (env.WILLOW_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('WILLOW_CORS_ORIGINS', `must be comma-separated origins such as https://ci.example.com (got "${origin}")`);
    }
  }
  return {
    mode: auth === 'off' ? 'off' : adminKey !== null ? 'keys' : 'protected',
    adminKey,
    rateLimit: integer(env, 'WILLOW_RATE_LIMIT', 1_000, 1, 10_000_000),
    maxWaiters: integer(env, 'WILLOW_MAX_WAITERS', 1_000, 1, 10_000_000),
    corsOrigins,
    transportSecret,
  };
}

/** `localhost`, 127.0.0.0/8 or ::1: an address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
