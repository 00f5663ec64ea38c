import { describeLimiterPort } from './limiter-port.conformance';
import { describeLockerPort } from './locker-port.conformance';
import { describeRpcOutage } from './rpc-outage.conformance';
import { natsReachableSync, uniqueNatsUrl } from '../support/nats';
import { remotePorts } from './support/port-fixture';

// The port suites against the RPC clients over NATS (127.0.0.1:4222), each fixture on a subject prefix of its own so
// parallel runs never answer each other. In CI a missing NATS server fails the run; elsewhere the suites are skipped
// with a loud warning.
const reachable = natsReachableSync();
if (!reachable && process.env.CI === 'true') {
  throw new Error('NATS is required in CI on 127.0.0.1:4222 for the RPC conformance suites (.ci/run starts it)');
}
if (!reachable) console.warn('⚠ NATS RPC conformance suites SKIPPED: no NATS server on 127.0.0.1:4222');

(reachable ? describe : describe.skip)('NATS transport', () => {
  const natsUrl = async () => uniqueNatsUrl();
  describeLockerPort('rpc nats', remotePorts(natsUrl));
  describeLimiterPort('rpc nats', remotePorts(natsUrl));
  describeRpcOutage('rpc nats', natsUrl);
});
