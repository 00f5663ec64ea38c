// CI producer: every push enqueues a build of the branch's newest commit, once per platform. A push that comes
// while the branch's previous build is still waiting replaces it in place (collapse): CI builds only the newest
// commit of a branch, never a backlog of stale ones.
//
//   WILLOW_URL=http://127.0.0.1:8080 node examples/producer.mjs
import { Willow, WillowError, call } from '@willow/client';

const willow = new Willow({ baseUrl: process.env.WILLOW_URL ?? 'http://127.0.0.1:8080', apiKey: process.env.WILLOW_API_KEY });
const queue = process.env.WILLOW_QUEUE ?? 'ci';
const platforms = [
  { os: 'linux', arch: 'x64' },
  { os: 'linux', arch: 'arm64' },
  { os: 'mac', arch: 'arm64' },
];
// What a webhook would deliver: three quick pushes to main, one to a feature branch.
const pushes = [
  { repo_name: 'willow', branch_name: 'main', commit: 'a1' },
  { repo_name: 'willow', branch_name: 'main', commit: 'a2' },
  { repo_name: 'willow', branch_name: 'feature-x', commit: 'f1' },
  { repo_name: 'willow', branch_name: 'main', commit: 'a3' },
];

try {
  await call(willow.api.POST('/v1/queues', { body: { Name: queue } }));
} catch (error) {
  if (!(error instanceof WillowError && error.code === 'ALREADY_EXISTS')) throw error;
}

for (const { commit, ...branch } of pushes) {
  const Items = platforms.map((platform) => ({
    KeyValues: { ...branch, ...platform },
    Data: { commit },
    Timeout: '10m',
    RetryAttempts: 2,
  }));
  const { Results } = await call(willow.api.POST('/v1/queues/{Name}/items/batch', { params: { path: { Name: queue } }, body: { Items } }));
  const collapsed = Results.filter((r) => r.Collapsed).length;
  console.log(`push ${branch.repo_name}/${branch.branch_name}@${commit}: ${Results.length - collapsed} new, ${collapsed} collapsed into waiting builds`);
}
const counts = await call(willow.api.GET('/v1/queues/{Name}', { params: { path: { Name: queue } } }));
console.log(`queue ${queue}: ${counts.Waiting} builds waiting in ${counts.Channels} channels`);
