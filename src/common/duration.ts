import { InvalidInputError } from './errors';
import { describeJsonType } from './names';

/** Server bounds on durations (DESIGN.md §2): leases (`Timeout`) 100 ms to 24 h, `Wait` at most 10 min. */
export const LIMITS = { leaseMinMs: 100, leaseMaxMs: 86_400_000, waitMaxMs: 600_000 } as const;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const WITH_UNIT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;
const MAX_TEXT = 32;
const FORMS = 'a number of milliseconds or a string with a unit ("500ms", "30s", "1.5s", "5m", "1h", "2d")';

/**
 * A duration in whole milliseconds, from a non-negative integer number of milliseconds or a string
 * `<number><unit>` with unit ms, s, m, h or d (fractions allowed, rounded to the millisecond). A string needs its
 * unit: `"500"` is refused because a reader cannot tell seconds from milliseconds.
 */
export function parseDuration(raw: unknown, path: string, bounds: { minMs: number; maxMs: number }): number {
  const ms = toMs(raw, path);
  if (ms < bounds.minMs || ms > bounds.maxMs) {
    throw new InvalidInputError(
      path,
      `must be between ${formatDuration(bounds.minMs)} and ${formatDuration(bounds.maxMs)}`,
    );
  }
  return ms;
}

function toMs(raw: unknown, path: string): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new InvalidInputError(path, `must be ${FORMS}; ${raw} is not a duration`);
    if (raw < 0) throw new InvalidInputError(path, 'must not be negative; send 0 or more milliseconds');
    if (!Number.isInteger(raw)) {
      throw new InvalidInputError(
        path,
        `must be a whole number of milliseconds; for fractions use a string such as "1.5s"`,
      );
    }
    return raw === 0 ? 0 : raw;
  }
  if (typeof raw !== 'string') throw new InvalidInputError(path, `must be ${FORMS}; got ${describeJsonType(raw)}`);
  const match = raw.length <= MAX_TEXT ? WITH_UNIT.exec(raw) : null;
  if (match) return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  if (raw.trimStart().startsWith('-')) {
    throw new InvalidInputError(path, 'must not be negative; use a duration such as "30s"');
  }
  if (raw.length <= MAX_TEXT && BARE_NUMBER.test(raw)) {
    throw new InvalidInputError(
      path,
      `needs a unit, as in "${raw}ms" or "${raw}s"; or send the milliseconds as a JSON number`,
    );
  }
  throw new InvalidInputError(path, `must be ${FORMS}; got ${JSON.stringify(raw.slice(0, MAX_TEXT))}`);
}

/** Renders milliseconds for messages in the largest exact unit: 100ms, 30s, 10m, 24h. */
export function formatDuration(ms: number): string {
  if (Number.isSafeInteger(ms) && ms !== 0) {
    if (ms > UNIT_MS.d && ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d}d`; // 24h stays 24h
    for (const unit of ['h', 'm', 's'] as const) {
      if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
    }
  }
  return `${ms}ms`;
}
