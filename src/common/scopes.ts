/**
 * The scopes an API key may hold (DESIGN.md §10 Access control). `admin` grants everything, keys included; the
 * `queues:*` scopes can be narrowed to queue name patterns. Pure vocabulary: the platform's route decorator names
 * one of these, and the auth module decides whether a key holds it.
 */
export const SCOPES = [
  'admin',
  'queues:admin',
  'queues:produce',
  'queues:consume',
  'queues:read',
  'limiter:admin',
  'limiter:counters',
  'locks',
  'metrics',
  'events',
] as const;

export type Scope = (typeof SCOPES)[number];

/** The scopes a key's `Queues` patterns narrow to matching queue names. */
export const QUEUE_SCOPES: readonly Scope[] = ['queues:admin', 'queues:produce', 'queues:consume', 'queues:read'];

export function isScope(raw: unknown): raw is Scope {
  return typeof raw === 'string' && (SCOPES as readonly string[]).includes(raw);
}
