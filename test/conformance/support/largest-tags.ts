import { createHash } from 'node:crypto';
import type { Tags } from '../../../src/common/tags';

/**
 * The largest tag set DESIGN.md §3 allows, near enough: 64 keys with values of 1000 hex characters, fixed but not
 * compressible, so the encoding (~70 KB) is larger than a PostgreSQL b-tree entry may be even compressed. Sets made
 * with different `last` differ only at the end of their last value: the first ~70 KB of their encodings are equal.
 */
export function largestTags(last: string): Tags {
  const value = (i: number) =>
    Array.from({ length: 8 }, (_, j) => createHash('sha512').update(`${i}.${j}`).digest('hex')).join('').slice(0, 1000);
  const tags: Record<string, string> = {};
  for (let i = 0; i < 63; i++) tags[`k${String(i).padStart(2, '0')}`] = value(i);
  tags.k63 = value(63).slice(0, 1000 - last.length) + last;
  return tags;
}
