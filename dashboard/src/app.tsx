import { useEffect } from 'preact/hooks';
import { ActivityFeed, LiveBadge, LiveNotice } from './components/activity-feed';
import { KeyPrompt, KeyStatus } from './components/key-prompt';
import { startLiveUpdates } from './events';
import { href, useRoute, type Route } from './router';
import { LimiterView } from './views/limiter';
import { LocksView } from './views/locks';
import { QueueView } from './views/queue';
import { QueuesView } from './views/queues';

const NAV: readonly { route: Route; label: string }[] = [
  { route: { view: 'queues' }, label: 'Queues' },
  { route: { view: 'limiter' }, label: 'Limiter' },
  { route: { view: 'locks' }, label: 'Locks' },
  { route: { view: 'activity' }, label: 'Activity' },
];

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'queues':
      return <QueuesView />;
    case 'queue':
      return <QueueView key={route.name} name={route.name} tab={route.tab} state={route.state} />;
    case 'limiter':
      return <LimiterView />;
    case 'locks':
      return <LocksView />;
    case 'activity':
      return <ActivityFeed />;
  }
}

export function App() {
  const route = useRoute();
  useEffect(() => startLiveUpdates(), []);
  const current = route.view === 'queue' ? 'queues' : route.view;
  useEffect(() => {
    document.title = route.view === 'queue' ? `${route.name} · Willow` : `${NAV.find((n) => n.route.view === current)?.label ?? 'Willow'} · Willow`;
  }, [route, current]);
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          Willow
        </a>
        <nav class="main-nav" aria-label="Main">
          {NAV.map((n) => (
            <a key={n.label} href={href(n.route)} aria-current={n.route.view === current ? 'page' : undefined} class={n.route.view === 'activity' ? 'nav-activity' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <div class="top-right">
          <KeyStatus />
          <LiveBadge />
        </div>
      </header>
      <div class={route.view === 'activity' ? 'layout single' : 'layout'}>
        <main>
          <LiveNotice />
          <View route={route} />
        </main>
        {route.view !== 'activity' && (
          <aside class="side">
            <ActivityFeed limit={50} />
          </aside>
        )}
      </div>
      <KeyPrompt />
    </>
  );
}
