// Deploy script: holds the lock on the production environment of a service while it deploys, so two deploys never
// overlap, and passes the lock's fencing token to the target, which refuses any token lower than the highest it
// has seen (a deploy that lost its lock, e.g. after a long pause, cannot overwrite a newer one).
//
//   WILLOW_URL=http://127.0.0.1:8080 node examples/deploy.mjs [version]
import { Willow } from '@willow/client';

const willow = new Willow({ baseUrl: process.env.WILLOW_URL ?? 'http://127.0.0.1:8080', apiKey: process.env.WILLOW_API_KEY });
const version = process.argv[2] ?? 'v1.2.3';

/** Stands in for the deploy target (a registry, a load balancer...): it checks fencing tokens. */
const target = {
  highestToken: 0,
  apply(step, fencingToken) {
    if (fencingToken < this.highestToken) throw new Error(`refused ${step}: token ${fencingToken} < ${this.highestToken}`);
    this.highestToken = fencingToken;
    console.log(`  ${step} (fencing token ${fencingToken})`);
  },
};

await willow.withLock(
  { service: 'api', env: 'production' },
  async ({ fencingToken, signal }) => {
    console.log(`deploying ${version} holding the lock`);
    for (const step of ['upload artifacts', 'migrate database', 'switch traffic']) {
      if (signal.aborted) throw new Error('lock lost; stopping the deploy');
      target.apply(step, fencingToken);
      await new Promise((r) => setTimeout(r, 300));
    }
  },
  { timeout: '30s', wait: '5m' },
);
console.log(`deployed ${version}; lock released`);
