import { projectTags, type Tags } from './tags';

/**
 * Which counter counts toward which limit, and so which freed counter gives which limit room again: the one rule the
 * Limiter (its refusals, its aggregates and its capacity-freed events) and the queue's dispatch index (releasing
 * blocked channels) both follow.
 *
 * A limit counts counters by group: a rule's by its GroupBy keys, an override's by its KeyValues. A counter of `tags`
 * counts toward the group `limitGroup(tags, keys)`, so a refusal names the limit by those key values, and a counter
 * going down gives room again to exactly the limits whose key values its tags hold.
 */

/**
 * Emitted after capacity may have returned. `tags`: the counter that went down (decrement, set lower); a waiter
 * refused by a limit whose `keyValues` those tags all hold may now fit (`limitGroup(tags, keys) = keyValues`).
 * `tags: null`: rules or overrides changed (created, deleted, limit edited); every waiter should check again.
 */
export interface CapacityFreed {
  readonly tags: Tags | null;
}

/**
 * The group a counter of `tags` counts toward under a limit over `keys` (a rule's GroupBy, or every key of an
 * override's KeyValues): its tags on those keys, or null when it lacks one (it counts toward no group of that limit).
 */
export function limitGroup(tags: Tags, keys: readonly string[]): Tags | null {
  return projectTags(tags, keys);
}

/** The event a counter change publishes: only a counter that went down can return capacity. */
export function freedBy(tags: Tags, move: { readonly previous: number; readonly counters: number }): CapacityFreed | null {
  return move.counters < move.previous ? { tags } : null;
}
