/** A committed write's effect on one channel: counts moved, and where its first waiting item now is. */
export interface ChannelDelta {
  readonly waiting?: number;
  readonly processing?: number;
  /** `reread`: the head may have moved; `first`: items were appended, the head changes only if there was none. */
  readonly head?: 'reread' | 'first';
}
