import { Agent, request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startServer, type ChildServer } from '../support/child-server';

/**
 * Idle client connections (a real server process): kept open WILLOW_HTTP_KEEP_ALIVE_MS (65 s by default, above the
 * 60 s idle timeout of common load balancers), announced to clients in `Keep-Alive: timeout=`, then closed.
 */
describe('Idle HTTP connections', () => {
  let server: ChildServer | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    agent?.destroy();
    await server?.kill9();
    server = undefined;
  });

  /** A GET over `agent`, answering the response (body read) and the socket it came on. */
  function get(url: string, via: Agent): Promise<{ res: IncomingMessage; socket: Socket }> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/health/live`, { agent: via }, (res) => {
        res.resume();
        res.on('end', () => resolve({ res, socket: req.socket! }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('are kept 65 s by default, and clients are told so', async () => {
    server = await startServer({ WILLOW_DATA_DIR: ':memory:' }, 20_000, '/health/live');
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(server.url, agent);
    expect(first.res.headers.connection).toBe('keep-alive');
    expect(first.res.headers['keep-alive']).toBe('timeout=65');
    // Past Node's own default of 5 s the connection would be gone; here it is still the one reused.
    await new Promise((r) => setTimeout(r, 5_500));
    const second = await get(server.url, agent);
    expect(second.socket).toBe(first.socket);
  }, 30_000);

  it('are closed by the server after WILLOW_HTTP_KEEP_ALIVE_MS', async () => {
    server = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_HTTP_KEEP_ALIVE_MS: '1000' }, 20_000, '/health/live');
    // A bare socket: Node's own agent would close it first, on the server's hint.
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.write('GET /health/live HTTP/1.1\r\nHost: willow\r\nConnection: keep-alive\r\n\r\n');
    const answered = await new Promise<number>((resolve) => socket.once('data', () => resolve(Date.now())));
    const idle = (await closed) - answered;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.toLowerCase()).toContain('keep-alive: timeout=1\r\n');
    expect(idle).toBeGreaterThanOrEqual(800);
    expect(idle).toBeLessThan(4_000);
  }, 30_000);
});
