import type { ObservedEvent } from './observer.port';

/** Live fan-out of events to the stream clients of this process; nothing is kept (no replay). */
export class EventHub {
  private readonly listeners = new Set<(event: ObservedEvent) => void>();

  get size(): number {
    return this.listeners.size;
  }

  /** Calls `listener` for every event delivered from now on, until the returned function is called. */
  subscribe(listener: (event: ObservedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deliver(event: ObservedEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
