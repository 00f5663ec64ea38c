import { optional, readFields } from '../../common/fields';
import { fieldPath } from '../../common/names';
import { parseTags } from '../../common/tags';
import type { CounterChange } from '../limiter.port';
import { parseAnyTags, parseCounters } from './validate';

type CounterFields = { KeyValues?: unknown; Counters?: unknown };

/** A client's increment or decrement: `{KeyValues, Counters?}` (1 by default); reserved `_` keys are refused. */
export function parseCounterChange(raw: unknown, path: string): CounterChange {
  const f: CounterFields = readFields(raw, path, ['KeyValues', 'Counters']);
  return { tags: parseTags(f.KeyValues, fieldPath(path, 'KeyValues')), counters: byDefaultOne(f, path) };
}

/** An explanation: like a change, but reserved `_` keys are allowed (explaining changes nothing). */
export function parseExplain(raw: unknown, path: string): CounterChange {
  const f: CounterFields = readFields(raw, path, ['KeyValues', 'Counters']);
  return { tags: parseAnyTags(f.KeyValues, fieldPath(path, 'KeyValues')), counters: byDefaultOne(f, path) };
}

/** Administration and reconciliation: the exact value (0 removes the counter); reserved `_` keys allowed. */
export function parseSetCounter(raw: unknown, path: string): CounterChange {
  const f: CounterFields = readFields(raw, path, ['KeyValues', 'Counters']);
  const tags = parseAnyTags(f.KeyValues, fieldPath(path, 'KeyValues'));
  return { tags, counters: parseCounters(f.Counters, fieldPath(path, 'Counters'), 0) };
}

function byDefaultOne(f: CounterFields, path: string): number {
  return optional(f.Counters, 1, (v) => parseCounters(v, fieldPath(path, 'Counters'), 1));
}
