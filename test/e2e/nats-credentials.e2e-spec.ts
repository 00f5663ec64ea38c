import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort, startServer, type ChildServer } from '../support/child-server';

jest.setTimeout(60_000);

const NATS_SERVER = '/usr/sbin/nats-server';
const haveNats = existsSync(NATS_SERVER);
if (!haveNats && process.env.CI === 'true') throw new Error(`${NATS_SERVER} is required in CI for the NATS credentials e2e`);
if (!haveNats) console.warn('⚠ NATS credentials e2e SKIPPED: no nats-server binary');

const PASSWORD = 'nats-password-for-the-test';

async function listening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket.end() !== undefined)).on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ready(server: ChildServer, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await fetch(`${server.url}/health/ready`)).status;
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** NATS credentials from the URL: a NATS server of the test's own that requires a user and password. */
(haveNats ? describe : describe.skip)('split deployment over a NATS server that requires credentials', () => {
  let nats: ChildProcess;
  let natsPort: number;
  const servers: ChildServer[] = [];
  const url = (password: string) => `nats://willow:${password}@127.0.0.1:${natsPort}/cred`;

  beforeAll(async () => {
    natsPort = await freePort();
    nats = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(natsPort), '--user', 'willow', '--pass', PASSWORD], { stdio: 'ignore' });
    await listening(natsPort);
  });
  afterAll(async () => {
    for (const server of servers) await server.kill9();
    nats?.kill('SIGKILL');
  });

  it('connects with the credentials of the URL, and never logs the password', async () => {
    const limiter = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: url(PASSWORD), WILLOW_LOG_LEVEL: 'info' }, 20_000, '/health/live');
    servers.push(limiter);
    const queue = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: url(PASSWORD), WILLOW_LOG_LEVEL: 'info' }, 20_000, '/health/live');
    servers.push(queue);
    expect(await ready(queue)).toBe(200);
    expect(limiter.output() + queue.output()).not.toContain(PASSWORD);
  });

  it('is not ready with a wrong password', async () => {
    const queue = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: url('wrong-password'), WILLOW_RETRY_MAX_MS: '200' }, 20_000, '/health/live');
    servers.push(queue);
    expect(await ready(queue, 3_000)).toBe(503);
  });
});
