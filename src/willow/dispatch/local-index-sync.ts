import type { Tags } from '../../common/tags';
import type { HeadChange } from '../domain/dispatch/queue-index';
import type { ChannelHead } from '../willow.store';
import type { Dispatcher } from './dispatcher';
import type { ChannelDelta } from './channel-delta';

/**
 * Embedded store (one process): each write of this process is applied as soon as it is acknowledged, with the head
 * read synchronously then, so the index lags only by the writes whose flush to disk is still running (a claim reads
 * the store itself, and finds a channel's head taken by one of those as it would one taken by a neighbour in its
 * group commit).
 */
export class LocalIndexSync {
  constructor(
    private readonly channelHead: (queue: string, key: string) => ChannelHead | null,
    private readonly dispatcher: Dispatcher,
  ) {}

  changed(queue: string, key: string, tags: Tags, delta: ChannelDelta, create: boolean): void {
    const index = create ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    if (!index) return;
    const channel = index.channel(key, tags);
    // Appended items go behind a head of at least their priority: that head stays first.
    const kept = delta.head === 'first' && channel.headSeq !== null && (delta.priority ?? 0) <= channel.headPriority;
    const head = delta.head === undefined || kept ? {} : this.read(queue, key);
    index.apply(channel, { waiting: delta.waiting, processing: delta.processing, ...head });
    this.dispatcher.wake(queue, channel);
  }

  private read(queue: string, key: string): HeadChange {
    const head = this.channelHead(queue, key);
    return head ? { headSeq: head.seq, headPriority: head.priority, headDueAt: head.dueAt } : { headSeq: null };
  }
}
