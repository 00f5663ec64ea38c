import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/schema';
import { withLock, type KeyValues, type LockContext, type LockOptions } from './lock';
import { QueueWorker, type Delivery, type Handler, type Worker, type WorkerOptions } from './worker';

export interface WillowOptions {
  /** Where Willow listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

/** The Willow client: `api` for every route, plus a worker and a lock helper built on it. */
export class Willow {
  /** The typed raw client (openapi-fetch): `api.POST('/v1/queues/{Name}/items', { params, body })`. */
  readonly api: Client<paths>;

  private readonly fetchImpl: (request: Request) => Promise<Response>;

  constructor(options: WillowOptions) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
    const base = options.fetch ?? ((input: Request) => fetch(input));
    this.fetchImpl = (request) => base(request);
    this.api = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), headers, fetch: this.fetchImpl });
  }

  /** A worker on `queue`; nothing happens until `run()`. `D`, if given, is the type of the items' `Data`. */
  worker<D = Delivery['Data']>(queue: string, handler: Handler<D>, options?: WorkerOptions): Worker {
    return new QueueWorker(this.api, queue, handler, options, this.fetchImpl);
  }

  /** Runs `fn` holding the lock on `keyValues`; see `withLock`. */
  withLock<T>(keyValues: KeyValues, fn: (lock: LockContext) => T | Promise<T>, options?: LockOptions): Promise<T> {
    return withLock(this.api, keyValues, fn, options);
  }
}
