import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { requestLogging, withoutCredentials } from './request-log';
import { setVisibleQueues, visibleQueues } from './require-scope';

const request = (fields: Partial<IncomingMessage>) => ({ headers: {}, ...fields }) as IncomingMessage & { log?: Logger };

describe('requestLogging', () => {
  it.each(['info', 'debug', 'trace'])('at %s, leaves each request to pino-http (one line per request)', (level) => {
    const { params, binder } = requestLogging(level);
    expect(binder).toBeNull();
    expect(params).toMatchObject({ pinoHttp: { level, quietReqLogger: true } });
    expect('useExisting' in params).toBe(false);
  });

  it.each(['warn', 'error', 'silent'])('at %s, binds each request a logger naming its id, method and path', (level) => {
    const { params, binder } = requestLogging(level);
    expect(params).toMatchObject({ useExisting: true });
    const req = request({ method: 'POST', url: '/v1/queues/q/items' });
    binder!(req, 'rid-1');
    expect(req.log!.bindings()).toEqual({ requestId: 'rid-1', method: 'POST', url: '/v1/queues/q/items' });
    expect(req.log!.level).toBe(level);
  });

  it('never writes a credential header', () => {
    const headers = { authorization: 'Bearer wk_secret', cookie: 'c', accept: '*/*' };
    expect(withoutCredentials({ headers })).toEqual({ headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } });
    expect(headers.authorization).toBe('Bearer wk_secret');
  });
});

describe('visibleQueues', () => {
  it('is what the access guard set for the request', () => {
    const req = request({});
    setVisibleQueues(req, (queue) => queue.startsWith('ci-'));
    expect(['ci-a', 'deploy'].filter(visibleQueues(req))).toEqual(['ci-a']);
  });

  it('fails closed for a request the guard did not judge', () => {
    expect(() => visibleQueues(request({}))).toThrow(/without the access guard/);
  });
});
