import type { KeyValues } from '../api';
import { feed, live, retryLiveUpdates, type LiveState } from '../events';
import { clock, shortId } from '../format';
import { href } from '../router';
import { useStore } from '../store';
import { TagList } from './ui';

const TONE: Readonly<Record<string, string>> = {
  'item.enqueued': 'info',
  'item.collapsed': 'info',
  'item.dequeued': 'run',
  'item.acked': 'good',
  'item.failed': 'bad',
  'item.expired': 'bad',
  'item.dead': 'bad',
  'item.cancelled': 'warn',
  'channel.blocked': 'warn',
  'channel.unblocked': 'good',
  'queue.paused': 'warn',
  'queue.resumed': 'good',
};

export function LiveBadge() {
  const state = useStore(live);
  const text = liveText(state);
  return (
    <span class={`live live-${state.kind}`} role="status" title={state.kind === 'live' || state.kind === 'connecting' ? undefined : state.reason}>
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function liveText(state: LiveState): string {
  switch (state.kind) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'unavailable':
      return 'Live updates unavailable';
    case 'locked':
      return 'Live updates need a key';
    case 'forbidden':
      return 'Live updates not allowed';
  }
}

/** Said once, above every view, whenever the page is not updating by itself. */
export function LiveNotice() {
  const state = useStore(live);
  if (state.kind === 'live' || state.kind === 'connecting') return null;
  return (
    <div class="notice" role="status" data-live={state.kind}>
      <strong>{state.kind === 'reconnecting' ? 'Live updates interrupted' : 'Live updates unavailable'}</strong>: {state.reason}. What you see is as of its last
      refresh; use Refresh to fetch it again.
      {state.kind !== 'reconnecting' && (
        <button type="button" class="link" onClick={retryLiveUpdates}>
          Retry
        </button>
      )}
    </div>
  );
}

export function ActivityFeed({ limit }: { limit?: number }) {
  const events = useStore(feed);
  const state = useStore(live);
  const shown = limit ? events.slice(0, limit) : events;
  return (
    <section class="feed" aria-labelledby="feed-title">
      <header class="feed-header">
        <h2 id="feed-title">Activity</h2>
        <LiveBadge />
      </header>
      {shown.length === 0 ? (
        <p class="muted small feed-empty">{state.kind === 'live' ? 'Waiting for events… enqueue an item and it shows here.' : 'No events: the page is not receiving live updates.'}</p>
      ) : (
        <ol class="feed-list" aria-live="polite">
          {shown.map(({ seq, event: e }) => (
            <li key={seq} class={`event tone-${TONE[e.Type] ?? 'info'}`} data-type={e.Type}>
              <span class="event-time num">{clock(e.At)}</span>
              <span class="event-type">{e.Type}</span>
              <span class="event-subject">
                {e.Queue && <a href={href({ view: 'queue', name: e.Queue, tab: 'channels', state: null })}>{e.Queue}</a>}
                {e.ID && <span class="mono small"> {shortId(e.ID)}</span>}
              </span>
              {e.KeyValues && (
                <span class="event-tags">
                  <TagList tags={e.KeyValues as KeyValues} />
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
