import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import { once } from 'node:events';
import { IncomingMessage, ServerResponse, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { WillowExpressAdapter } from './express-adapter';

// V8's own answer to "do these two objects share a hidden class?", for the property the adapter exists for. The flag
// is the isolate's: it is set only while this file's tests run, and the intrinsic (which does not check its
// arguments) is only ever given objects.
setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
setFlagsFromString('--no-allow-natives-syntax');
function sameHiddenClass(a: object, b: object): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) throw new TypeError('objects only');
  return haveSameMap(a, b);
}

type Parked = { readonly req: Request; readonly res: Response };

/** An adapter's server with Willow-like middleware (properties added to every request) and a route that parks. */
async function serve(adapter: ExpressAdapter, onParked: (parked: Parked) => void, options = {}) {
  adapter.initHttpServer(options);
  const app = adapter.getInstance<Express>();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    (req as Request & { id?: string }).id = 'request-id';
    res.setHeader('X-Request-ID', 'request-id');
    next();
  });
  app.post('/v1/queues/:Name/items', (req, res) => onParked({ req, res }));
  app.get('/echo', (req, res) => {
    res.status(201).json({ header: req.get('X-Test'), sameApp: req.app === app, isMessage: req instanceof IncomingMessage });
  });
  const server = adapter.getHttpServer() as Server;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { app, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function send(url: string, method = 'POST', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Two requests parked at the same point of the stack; whether their request and response objects share hidden classes. */
async function twoParked(adapter: ExpressAdapter): Promise<{ requests: boolean; responses: boolean }> {
  const parked: Parked[] = [];
  let both: (value: void) => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (both = resolve));
  const { server, url } = await serve(adapter, (p) => {
    parked.push(p);
    if (parked.length === 2) both();
  });
  try {
    const answers = [send(`${url}/v1/queues/a/items`), send(`${url}/v1/queues/b/items`)];
    await arrived;
    const shared = { requests: sameHiddenClass(parked[0].req, parked[1].req), responses: sameHiddenClass(parked[0].res, parked[1].res) };
    for (const { res } of parked) res.status(201).json({});
    await Promise.all(answers);
    return shared;
  } finally {
    server.close();
  }
}

describe('WillowExpressAdapter', () => {
  it('builds requests and responses that share their hidden classes through Express, routing and middleware', async () => {
    expect(await twoParked(new WillowExpressAdapter())).toEqual({ requests: true, responses: true });
  });

  it("(what it avoids) on Nest's own adapter, every request and response has a hidden class of its own", async () => {
    // Express swaps the prototype of an object Node built; every property added afterwards makes a new hidden class.
    // Should a later Node or Express fail this, nothing in Willow broke: the adapter may no longer be needed.
    expect(await twoParked(new ExpressAdapter())).toEqual({ requests: false, responses: false });
  });

  it("hands Node the app's own prototypes, so Express's prototype swap changes nothing", async () => {
    const adapter = new WillowExpressAdapter();
    const { app, server, url } = await serve(adapter, () => undefined);
    try {
      const seen: boolean[] = [];
      // Before Express runs: the object as Node built it.
      server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
        seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
      });
      const answer = await send(`${url}/echo`, 'GET', { 'X-Test': 'kept' });
      expect(seen).toEqual([true, true]);
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body)).toEqual({ header: 'kept', sameApp: true, isMessage: true });
      expect(app.request).toBeInstanceOf(IncomingMessage);
      expect(app.response).toBeInstanceOf(ServerResponse);
    } finally {
      server.close();
    }
  });

  it('with forceCloseConnections, closing ends requests still open instead of waiting for them', async () => {
    const adapter = new WillowExpressAdapter();
    let parked: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (parked = resolve));
    const { server, url } = await serve(adapter, () => parked(), { forceCloseConnections: true });
    const answer = send(`${url}/v1/queues/a/items`).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await arrived;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('close waited for the open request'), 2_000)));
    try {
      expect(await Promise.race([Promise.resolve(adapter.close()).then(() => 'closed'), waited])).toBe('closed');
      expect(await answer).toBe('ECONNRESET');
    } finally {
      clearTimeout(timer);
      server.closeAllConnections();
    }
  });

  it('without forceCloseConnections, closing waits for requests still open', async () => {
    const adapter = new WillowExpressAdapter();
    const parked: Parked[] = [];
    let arrivedOne: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (arrivedOne = resolve));
    const { url } = await serve(adapter, (p) => {
      parked.push(p);
      arrivedOne();
    });
    const answer = send(`${url}/v1/queues/a/items`);
    await arrived;
    let closed = false;
    const closing = Promise.resolve(adapter.close()).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    parked[0].res.status(201).json({});
    expect((await answer).status).toBe(201);
    await closing;
    expect(closed).toBe(true);
  });
});
