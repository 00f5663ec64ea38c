import { freePort } from '../support/child-server';
import { describeLimiterPort } from './limiter-port.conformance';
import { describeLockerPort } from './locker-port.conformance';
import { describeRpcOutage } from './rpc-outage.conformance';
import { remotePorts } from './support/port-fixture';

// The port suites against LimiterRpcClient and LockerRpcClient, over TCP to an in-process microservice.
const tcpUrl = async () => `tcp://127.0.0.1:${await freePort()}`;
describeLockerPort('rpc tcp', remotePorts(tcpUrl));
describeLimiterPort('rpc tcp', remotePorts(tcpUrl));
describeRpcOutage('rpc tcp', tcpUrl);
