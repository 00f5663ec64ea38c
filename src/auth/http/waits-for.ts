import { parseDuration } from '../../common/duration';

/**
 * Whether a long-poll or lock acquire will wait: every such route waits by default (its `Wait` defaults to 30 s),
 * so only an explicit `Wait` of 0 does not count. A `Wait` that does not parse counts: the request is refused with
 * 400 right after the guard anyway.
 */
export function waitsFor(body: unknown): boolean {
  const wait = typeof body === 'object' && body !== null ? (body as { Wait?: unknown }).Wait : undefined;
  if (wait === undefined) return true;
  try {
    return parseDuration(wait, 'Wait', { minMs: 0, maxMs: Number.MAX_SAFE_INTEGER }) > 0;
  } catch {
    return true;
  }
}
