import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Willow } from '@willow/client';
import { startServer, type ChildServer } from '../support/child-server';

/** A real server from dist/main.js on a fresh data directory, and a client on it (the package as users get it). */
export interface ClientFixture {
  server: ChildServer;
  willow: Willow;
  dispose(): Promise<void>;
}

export async function startFixture(): Promise<ClientFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'willow-client-'));
  const server = await startServer({ WILLOW_DATA_DIR: dir, WILLOW_SYNC: 'normal' });
  return {
    server,
    willow: new Willow({ baseUrl: server.url }),
    dispose: async () => {
      await server.kill9();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it holds (generous deadline: the machine may be loaded). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ROOT = join(__dirname, '..', '..');
export const CLIENT_DIR = join(ROOT, 'clients', 'typescript');
