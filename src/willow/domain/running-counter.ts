import { withTag, type Tags } from '../../common/tags';

/** The reserved tag Willow adds to a channel's tags for its running counter (DESIGN §7.7). */
export const QUEUE_TAG = '_willow_queue';

/** Tags of a channel's running counter: the channel's own tags plus `_willow_queue`. */
export function runningCounterTags(tags: Tags, queue: string): Tags {
  return withTag(tags, QUEUE_TAG, queue);
}
