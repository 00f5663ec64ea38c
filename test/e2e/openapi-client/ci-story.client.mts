// A client program written against the types generated from openapi/openapi.json (copied next to them into a
// temporary directory by openapi-client.e2e-spec.ts, compiled with `tsc --strict`, then run against a server).
// It prints what it saw as one JSON line; the test judges it.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Delivery = components['schemas']['DeliveryResponse'];
type Query = components['schemas']['Query'];

const api = createClient<paths>({ baseUrl: process.env.WILLOW_URL });
const Name = 'ci';
const queue = { params: { path: { Name } } };
const build = (branch: string) => ({ repo_name: 'willow', branch_name: branch, os: 'linux' });

async function dequeue(Query: Query): Promise<Delivery> {
  const { data, response } = await api.POST('/v1/queues/{Name}/items/dequeue', { ...queue, body: { Query, Wait: 0 } });
  if (!data) throw new Error(`dequeue answered ${response.status}`);
  return data;
}

async function main(): Promise<void> {
  const created = await api.POST('/v1/queues', { body: { Name } });
  const duplicate = await api.POST('/v1/queues', { body: { Name } });
  const rule = await api.POST('/v1/limiter/rules', {
    body: { Name: 'limit_cicd_branch_builds', GroupBy: ['repo_name', 'branch_name'], Limit: 1 },
  });

  const first = await api.POST('/v1/queues/{Name}/items', { ...queue, body: { KeyValues: build('main'), Data: { commit: 'a1' } } });
  const second = await api.POST('/v1/queues/{Name}/items', { ...queue, body: { KeyValues: build('main'), Data: { commit: 'a2' } } });
  const other = await api.POST('/v1/queues/{Name}/items', { ...queue, body: { KeyValues: build('dev'), Data: 'c1', RetryAttempts: 1 } });

  const main = await dequeue({ Where: { os: 'linux' } });
  const dev = await dequeue({ Where: { os: 'linux', $or: [{ branch_name: 'dev' }, { cpu: { $gte: 8 } }], ios: { $exists: false } } });
  const none = await api.POST('/v1/queues/{Name}/items/dequeue', { ...queue, body: { Query: { Where: { os: 'linux' } }, Wait: 0 } });

  const page1 = await api.GET('/v1/queues/{Name}/channels', { params: { path: { Name }, query: { Limit: 1 } } });
  const cursor = page1.response.headers.get('Willow-Next-Cursor');
  const page2 = await api.GET('/v1/queues/{Name}/channels', { params: { path: { Name }, query: { Limit: 1, Cursor: cursor ?? '' } } });

  const acked = await api.POST('/v1/queues/{Name}/items/{ID}/ack', {
    params: { path: { Name, ID: main.ID } },
    body: { Passed: true, Attempt: main.Attempt },
  });
  const stale = await api.POST('/v1/queues/{Name}/items/{ID}/ack', {
    params: { path: { Name, ID: main.ID } },
    body: { Passed: true, Attempt: main.Attempt },
  });
  const devAcked = await api.POST('/v1/queues/{Name}/items/{ID}/ack', { params: { path: { Name, ID: dev.ID } }, body: { Passed: true } });
  const after = await api.GET('/v1/queues/{Name}', queue);

  const report = {
    created: [created.response.status, created.data?.Name],
    duplicate: [duplicate.response.status, duplicate.error?.Code],
    rule: [rule.response.status, rule.data?.GroupBy],
    enqueued: [first, second, other].map((r) => [r.response.status, r.data?.ID, r.data?.Collapsed]),
    main: { ID: main.ID, KeyValues: main.KeyValues, Data: main.Data, Attempt: main.Attempt },
    dev: { ID: dev.ID, Data: dev.Data },
    none: none.response.status,
    pages: [
      [page1.response.status, page1.data?.map((c) => c.KeyValues.branch_name), cursor !== null],
      [page2.response.status, page2.data?.map((c) => c.KeyValues.branch_name), page2.response.headers.get('Willow-Next-Cursor')],
    ],
    acked: [acked.response.status, acked.data?.Status],
    stale: [stale.response.status, stale.error?.Code],
    devAcked: devAcked.response.status,
    after: [after.data?.Waiting, after.data?.Processing],
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
