import type { Tags } from '../../common/tags';

/** A capacity-freed event: the tags of a counter that went down, or null when rules or overrides changed. */
export interface FreedEvent {
  readonly tags: Tags | null;
}

/** The event a counter change publishes: only a counter that went down can return capacity. */
export function freedBy(tags: Tags, move: { readonly previous: number; readonly counters: number }): FreedEvent | null {
  return move.counters < move.previous ? { tags } : null;
}
