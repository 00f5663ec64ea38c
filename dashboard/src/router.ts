import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './routes';

export { href, parseRoute, type ItemState, type QueueTab, type Route } from './routes';

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
