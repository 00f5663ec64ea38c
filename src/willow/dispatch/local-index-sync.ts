import type { Tags } from '../../common/tags';
import type { Dispatcher } from './dispatcher';
import type { ChannelDelta } from './channel-delta';

/**
 * Embedded store (one process): each write of this process is applied at once, in the same turn as the write, with
 * the head read synchronously, so the index never lags.
 */
export class LocalIndexSync {
  constructor(
    private readonly channelHead: (queue: string, key: string) => number | null,
    private readonly dispatcher: Dispatcher,
  ) {}

  changed(queue: string, key: string, tags: Tags, delta: ChannelDelta, create: boolean): void {
    const index = create ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    if (!index) return;
    const channel = index.channel(key, tags);
    const headSeq =
      delta.head === 'reread' ? this.channelHead(queue, key) : delta.head === 'first' ? (channel.headSeq ?? this.channelHead(queue, key)) : undefined;
    index.apply(channel, { waiting: delta.waiting, processing: delta.processing, headSeq });
    this.dispatcher.wake(queue, channel);
  }
}
