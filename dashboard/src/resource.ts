import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { auth } from './api';
import { live, onEvent, type WillowEvent } from './events';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** When the data shown was fetched. */
  readonly at: Date | undefined;
  reload(): void;
}

/** Events often come in bursts (a batch of 100 enqueues): one fetch after the burst, at most one a second. */
const DEBOUNCE_MS = 250;
const MAX_WAIT_MS = 1_000;

export interface ResourceOptions {
  /** Longest a burst of events delays the refresh; views whose fetch costs many requests wait longer. */
  readonly maxWaitMs?: number;
}

/**
 * Data of one view: fetched on mount, when `deps` or the API key change, on `reload()`, when the event stream
 * (re)connects, and, debounced, after each event `affects` accepts. The data shown stays until the next answer replaces it; an answer overtaken by a later
 * fetch is dropped.
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  affects: (event: WillowEvent) => boolean,
  options: ResourceOptions = {},
): Resource<T> {
  const maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean; at?: Date }>({ loading: true });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const affectsRef = useRef(affects);
  affectsRef.current = affects;

  const reload = useCallback(() => {
    const ticket = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => ticket === latest.current && setState({ data, loading: false, at: new Date() }),
      (error: unknown) => ticket === latest.current && setState((s) => ({ data: s.data, error, loading: false, at: s.at })),
    );
  }, []);

  useEffect(() => {
    setState({ loading: true });
    reload();
    let generation = auth.get().generation;
    const unsubscribeAuth = auth.subscribe((next) => {
      if (next.generation === generation) return;
      generation = next.generation;
      reload();
    });
    // The stream has no replay: whatever happened while it was down is fetched once it is back.
    let wasLive = live.get().kind === 'live';
    const unsubscribeLive = live.subscribe((state) => {
      if (state.kind === 'live' && !wasLive) reload();
      wasLive = state.kind === 'live';
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let firstPending = 0;
    const unsubscribeEvents = onEvent((event) => {
      if (!affectsRef.current(event)) return;
      const now = Date.now();
      if (timer === undefined) firstPending = now;
      clearTimeout(timer);
      const wait = Math.max(0, Math.min(DEBOUNCE_MS, firstPending + maxWaitMs - now));
      timer = setTimeout(() => {
        timer = undefined;
        reload();
      }, wait);
    });
    return () => {
      latest.current += 1;
      clearTimeout(timer);
      unsubscribeAuth();
      unsubscribeLive();
      unsubscribeEvents();
    };
  }, deps);

  return { data: state.data, error: state.error, loading: state.loading, at: state.at, reload };
}
