import type { Tags } from '../../common/tags';

/** A capacity-freed event: the tags of a counter that went down, or null when rules or overrides changed. */
export interface FreedEvent {
  readonly tags: Tags | null;
}

/** The event a counter change publishes: only a counter that went down can return capacity. */
export function freedBy(tags: Tags, move: { readonly previous: number; readonly counters: number }): FreedEvent | null {
  return move.counters < move.previous ? { tags } : null;
}

/**
 * Whether a waiter refused by a limit over `keyValues` should try again after `event`: yes when rules changed
 * (`tags: null`) or when the counter that went down holds every one of those key values (it was in the group).
 */
export function mayHaveFreed(event: FreedEvent, keyValues: Tags): boolean {
  const tags = event.tags;
  if (tags === null) return true;
  return Object.keys(keyValues).every((key) => Object.hasOwn(tags, key) && tags[key] === keyValues[key]);
}
