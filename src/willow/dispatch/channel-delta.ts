/** A committed write's effect on one channel: counts moved, and where its first waiting item now is. */
export interface ChannelDelta {
  readonly waiting?: number;
  readonly processing?: number;
  /**
   * `reread`: the head may have moved; `first`: items were appended, of at most `priority`: the head changes only if
   * there was none, or an appended item outranks it (DESIGN §7.8: a channel's line is ordered by priority first).
   * Absent: the channel's waiting line is as it was (only processing items changed, e.g. an ack), so its head is not
   * read again; a delta that moves waiting items always says `head`.
   */
  readonly head?: 'reread' | 'first';
  /** With `first`: the highest priority among the appended items (absent: 0). */
  readonly priority?: number;
}
