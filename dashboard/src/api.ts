import { Willow, WillowError, call, callWithResponse, type components } from '@willow/client';
import { Store } from './store';

export { call, callWithResponse, WillowError };
export type Schemas = components['schemas'];
export type KeyValues = Record<string, string | number | boolean>;

const KEY_ITEM = 'willow.apiKey';

export interface Auth {
  /** The key sent as `Authorization: Bearer`, kept in this tab's sessionStorage only. */
  readonly key: string | null;
  /** Why the key prompt is open: no key yet, or the one given was refused. */
  readonly prompt: null | 'needed' | 'refused';
  /** Rises with every key change, so data and the event stream are fetched again with the new key. */
  readonly generation: number;
}

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_ITEM);
  } catch {
    return null;
  }
}

export const auth = new Store<Auth>({ key: storedKey(), prompt: null, generation: 0 });

/** Any 401 opens the key prompt: the server has access control on and this tab has no (valid) key. */
export function unauthorized(): void {
  const current = auth.get();
  if (current.prompt) return;
  auth.set({ ...current, prompt: current.key ? 'refused' : 'needed' });
}

export function rememberKey(key: string): void {
  try {
    sessionStorage.setItem(KEY_ITEM, key);
  } catch {
    // storage disabled: the key lives until the page is closed or reloaded
  }
  const current = auth.get();
  auth.set({ key, prompt: null, generation: current.generation + 1 });
}

export function forgetKey(): void {
  try {
    sessionStorage.removeItem(KEY_ITEM);
  } catch {
    // nothing stored
  }
  const current = auth.get();
  auth.set({ key: null, prompt: null, generation: current.generation + 1 });
}

export function authHeaders(): Record<string, string> {
  const { key } = auth.get();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

let cached: { key: string | null; client: Willow } | null = null;

/** The typed client for the current key; every answer 401 opens the key prompt. */
export function willow(): Willow {
  const { key } = auth.get();
  if (cached?.key !== key) {
    const watched = async (request: Request): Promise<Response> => {
      const response = await fetch(request);
      // A 401 to a request sent with a key the tab has since replaced says nothing about the new key.
      if (response.status === 401 && auth.get().key === key) unauthorized();
      return response;
    };
    cached = { key, client: new Willow({ baseUrl: location.origin, apiKey: key ?? undefined, fetch: watched as typeof fetch }) };
  }
  return cached.client;
}

export function errorText(error: unknown): string {
  if (error instanceof WillowError) return error.status ? `${error.message} (${error.status} ${error.code})` : error.message;
  return error instanceof Error ? error.message : String(error);
}
