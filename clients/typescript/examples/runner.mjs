// CI runner: builds the linux items of the queue, as many at once as it has slots, while the limiter lets at most
// one build per branch run at a time, across every runner (rule limit_cicd_branch_builds). Heartbeats are sent on
// their own; a build whose item is cancelled (`willow items cancel ci <ID>`) is told through its signal and stops.
// Ctrl-C stops it gracefully: running builds finish and are acked.
//
//   WILLOW_URL=http://127.0.0.1:8080 node examples/runner.mjs
//   (RUNNER_BUILD_MS: how long a fake build takes, default 2000; RUNNER_EXIT_WHEN_IDLE=1: stop when nothing is left)
import { Willow, WillowError, call } from '@willow/client';

const willow = new Willow({ baseUrl: process.env.WILLOW_URL ?? 'http://127.0.0.1:8080', apiKey: process.env.WILLOW_API_KEY });
const queue = process.env.WILLOW_QUEUE ?? 'ci';
const buildMs = Number(process.env.RUNNER_BUILD_MS ?? 2000);

try {
  await call(willow.api.POST('/v1/limiter/rules', { body: { Name: 'limit_cicd_branch_builds', GroupBy: ['repo_name', 'branch_name'], Limit: 1 } }));
} catch (error) {
  if (!(error instanceof WillowError && error.code === 'ALREADY_EXISTS')) throw error;
}

/** A fake build: waits, unless the signal says the item was cancelled or its lease lost. */
function build(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('build stopped: item cancelled or lease lost'));
    }, { once: true });
  });
}

let building = 0;
const worker = willow.worker(
  queue,
  async (item, { signal }) => {
    const { repo_name, branch_name, os, arch } = item.KeyValues;
    const name = `${repo_name}/${branch_name} ${os}/${arch} @ ${item.Data.commit}`;
    console.log(`start ${name} (attempt ${item.Attempt})`);
    building++;
    try {
      await build(buildMs, signal);
    } finally {
      building--;
    }
    console.log(`done ${name}`);
  },
  {
    query: { Where: { os: 'linux' } },
    concurrency: 4,
    wait: process.env.RUNNER_EXIT_WHEN_IDLE === '1' ? '1s' : '30s',
    onIdle: () => {
      if (process.env.RUNNER_EXIT_WHEN_IDLE === '1' && building === 0) void worker.stop();
    },
    onError: (error, { phase }) => console.error(`${phase}: ${error instanceof Error ? error.message : String(error)}`),
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void worker.stop());
console.log(`runner: building linux items of ${queue}; Ctrl-C stops`);
await worker.run();
console.log('runner: stopped');
