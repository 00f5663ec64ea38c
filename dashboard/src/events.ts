import { auth, authHeaders, unauthorized, type KeyValues } from './api';
import { SseParser } from './sse';
import { Store } from './store';

/** One event of `GET /v1/events` (DESIGN.md §11). */
export interface WillowEvent {
  readonly Type: string;
  readonly Queue?: string;
  readonly ID?: string;
  readonly KeyValues?: KeyValues;
  readonly At: string;
}

/**
 * `connecting` until the stream answers; `live` while it streams; `reconnecting` after it broke (retried with
 * backoff); `unavailable` when this server has no event stream (404: `WILLOW_METRICS=off`); `locked` when the key is
 * missing or refused (401); `forbidden` when it lacks the `events` scope (403). Only `live` means the page updates
 * by itself.
 */
export type LiveState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly retryAt: number; readonly reason: string }
  | { readonly kind: 'unavailable' | 'locked' | 'forbidden'; readonly reason: string };

export const live = new Store<LiveState>({ kind: 'connecting' });

export interface FeedEntry {
  /** Rises with every event this page received: the entry's identity in the list. */
  readonly seq: number;
  readonly event: WillowEvent;
}

/** The newest events first, at most FEED_SIZE. */
export const feed = new Store<readonly FeedEntry[]>([]);

const FEED_SIZE = 200;
const listeners = new Set<(event: WillowEvent) => void>();

export function onEvent(listener: (event: WillowEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A busy queue sends hundreds of events a second: the feed is redrawn at most every FEED_FLUSH_MS. */
const FEED_FLUSH_MS = 200;
let unshown: FeedEntry[] = [];
let received = 0;
let flush: ReturnType<typeof setTimeout> | undefined;

function deliver(event: WillowEvent): void {
  unshown.push({ seq: ++received, event });
  flush ??= setTimeout(() => {
    flush = undefined;
    const newest = unshown.reverse();
    unshown = [];
    feed.set([...newest, ...feed.get()].slice(0, FEED_SIZE));
  }, FEED_FLUSH_MS);
  for (const listener of [...listeners]) listener(event);
}

async function stream(signal: AbortSignal): Promise<'ended' | 'stop'> {
  // EventSource cannot send a key, so the stream is read through fetch.
  const response = await fetch('/v1/events', { headers: { Accept: 'text/event-stream', ...authHeaders() }, signal, cache: 'no-store' });
  // Replaced by a stream with another key while this one was answering: its answer is of no interest.
  if (signal.aborted) return 'stop';
  if (response.status === 404) {
    live.set({ kind: 'unavailable', reason: 'this server has no event stream (GET /v1/events answered 404)' });
    return 'stop';
  }
  if (response.status === 401) {
    live.set({ kind: 'locked', reason: 'the event stream needs an API key' });
    unauthorized();
    return 'stop';
  }
  if (response.status === 403) {
    live.set({ kind: 'forbidden', reason: 'this key lacks the events scope (403 FORBIDDEN)' });
    return 'stop';
  }
  if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
  live.set({ kind: 'live' });
  const parser = new SseParser((type, data) => {
    if (type !== 'message') return;
    try {
      deliver(JSON.parse(data) as WillowEvent);
    } catch {
      // not an event of ours
    }
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return 'ended';
    parser.push(value);
  }
}

/** Keeps one event stream open for the current key; a new key opens a new one. Returns a stop function. */
export function startLiveUpdates(): () => void {
  let controller = new AbortController();
  let failures = 0;
  const run = async (signal: AbortSignal) => {
    live.set({ kind: 'connecting' });
    while (!signal.aborted) {
      let reason = 'the stream ended';
      try {
        if ((await stream(signal)) === 'stop') return;
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        reason = error instanceof Error ? error.message : String(error);
        failures += 1;
      }
      const delay = Math.min(15_000, 1_000 * 2 ** Math.min(failures, 4));
      live.set({ kind: 'reconnecting', retryAt: Date.now() + delay, reason });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  void run(controller.signal);
  let generation = auth.get().generation;
  const unsubscribe = auth.subscribe((next) => {
    if (next.generation === generation) return;
    generation = next.generation;
    controller.abort();
    controller = new AbortController();
    failures = 0;
    void run(controller.signal);
  });
  return () => {
    unsubscribe();
    controller.abort();
  };
}

/** Opens the stream again after it was found unavailable, locked or forbidden (the Retry button). */
export function retryLiveUpdates(): void {
  const current = auth.get();
  auth.set({ ...current, generation: current.generation + 1 });
}
