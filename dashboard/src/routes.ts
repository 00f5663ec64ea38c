export type ItemState = 'waiting' | 'scheduled' | 'processing';
export type QueueTab = 'channels' | 'items' | 'dead-letters';

/** The page's place, kept in the URL fragment so /ui/ is the only path the server renders. */
export type Route =
  | { readonly view: 'queues' }
  | { readonly view: 'queue'; readonly name: string; readonly tab: QueueTab; readonly state: ItemState | null }
  | { readonly view: 'limiter' }
  | { readonly view: 'locks' }
  | { readonly view: 'activity' };

const STATES: readonly string[] = ['waiting', 'scheduled', 'processing'];

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'queues' && parts[1] !== undefined) {
    let name: string;
    try {
      name = decodeURIComponent(parts[1]);
    } catch {
      return { view: 'queues' };
    }
    const tab: QueueTab = parts[2] === 'items' ? 'items' : parts[2] === 'dead-letters' ? 'dead-letters' : 'channels';
    const state = new URLSearchParams(search).get('state');
    return { view: 'queue', name, tab, state: state && STATES.includes(state) ? (state as ItemState) : null };
  }
  if (parts[0] === 'limiter') return { view: 'limiter' };
  if (parts[0] === 'locks') return { view: 'locks' };
  if (parts[0] === 'activity') return { view: 'activity' };
  return { view: 'queues' };
}

export function href(route: Route): string {
  switch (route.view) {
    case 'queue': {
      const base = `#/queues/${encodeURIComponent(route.name)}`;
      if (route.tab === 'channels') return base;
      return `${base}/${route.tab}${route.tab === 'items' && route.state ? `?state=${route.state}` : ''}`;
    }
    case 'queues':
      return '#/';
    default:
      return `#/${route.view}`;
  }
}
