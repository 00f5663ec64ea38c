import { call, willow, WillowError } from '../api';
import { ErrorNote, ViewHeader } from '../components/ui';
import { count } from '../format';
import type { WillowEvent } from '../events';
import { useResource } from '../resource';
import { href, type ItemState, type QueueTab } from '../router';
import { ChannelsTab } from './channels';
import { DeadLettersTab } from './dead-letters';
import { ItemsTab } from './items';
import { PauseButton } from './queues';

const TABS: readonly { tab: QueueTab; label: string }[] = [
  { tab: 'channels', label: 'Channels' },
  { tab: 'items', label: 'Items' },
  { tab: 'dead-letters', label: 'Dead letters' },
];

export function QueueView({ name, tab, state }: { name: string; tab: QueueTab; state: ItemState | null }) {
  const ofThisQueue = (e: WillowEvent) => e.Queue === name;
  const queue = useResource(() => call(willow().api.GET('/v1/queues/{Name}', { params: { path: { Name: name } } })), [name], ofThisQueue);
  const q = queue.data;
  // A queue that is gone has no channels, items or dead letters to show: one message says so.
  const missing = q === undefined && queue.error instanceof WillowError && queue.error.code === 'QUEUE_NOT_FOUND';
  return (
    <section aria-labelledby="queue-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="#/">Queues</a> <span aria-hidden="true">/</span>
      </nav>
      <ViewHeader title={<span id="queue-title">{name}</span>} resource={queue}>
        {q && <PauseButton queue={q} done={queue.reload} />}
      </ViewHeader>
      {queue.error !== undefined && <ErrorNote error={queue.error} retry={queue.reload} />}
      {q && (
        <dl class="stats" aria-label="Counts">
          <Stat label="Waiting" value={q.Waiting} hint="scheduled ones included" />
          <Stat label="Scheduled" value={q.Scheduled} />
          <Stat label="Processing" value={q.Processing} />
          <Stat label="Channels" value={q.Channels} />
          <div class="stat">
            <dt>State</dt>
            <dd>{q.Paused ? <span class="badge paused">paused</span> : <span class="badge ok">running</span>}</dd>
          </div>
        </dl>
      )}
      {!missing && (
        <QueueTabs name={name} tab={tab} state={state} />
      )}
    </section>
  );
}

function QueueTabs({ name, tab, state }: { name: string; tab: QueueTab; state: ItemState | null }) {
  return (
    <>
      <nav class="tabs" aria-label="Queue views">
        {TABS.map((t) => (
          <a key={t.tab} href={href({ view: 'queue', name, tab: t.tab, state: null })} aria-current={t.tab === tab ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === 'channels' && <ChannelsTab queue={name} />}
      {tab === 'items' && <ItemsTab queue={name} state={state} />}
      {tab === 'dead-letters' && <DeadLettersTab queue={name} />}
    </>
  );
}

function Stat({ label, value, hint }: { label: string; value: number | undefined; hint?: string }) {
  return (
    <div class="stat" data-stat={label.toLowerCase()}>
      <dt title={hint}>{label}</dt>
      <dd class="num">{count(value)}</dd>
    </div>
  );
}
