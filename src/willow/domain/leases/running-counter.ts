import { newId } from '../../../common/ids';
import { withTag, type Tags } from '../../../common/tags';

/** The reserved tag Willow adds to a channel's tags for its running counter (DESIGN §7.7). */
export const QUEUE_TAG = '_willow_queue';

/** Tags of a channel's running counter: the channel's own tags plus `_willow_queue`. */
export function runningCounterTags(tags: Tags, queue: string): Tags {
  return withTag(tags, QUEUE_TAG, queue);
}

/** A channel's running-counter tags: those the Limiter last answered with for it, else built (`runningCounterTags`). */
export function runningCounterTagsOf(channel: { readonly tags: Tags; readonly counterTags: Tags | null }, queue: string): Tags {
  return channel.counterTags ?? runningCounterTags(channel.tags, queue);
}

/**
 * The idempotency key of one running-counter decrement: what it settles (`<item id>:<attempt>`, or `claim` for an
 * increment whose claim failed) made unique by a fresh id. The attempt number alone is not unique to a delivery: a
 * give-back uncounts it and a dead-letter requeue resets it, and a second delivery's decrement must not be taken
 * for a repeat of the first's.
 */
export function decrementOpId(what: string): string {
  return `${what}:${newId()}`;
}
