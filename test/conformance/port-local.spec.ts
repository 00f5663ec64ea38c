import { describeLimiterPort } from './limiter-port.conformance';
import { describeLockerPort } from './locker-port.conformance';
import { localPorts } from './support/port-fixture';

// The reference: the port suites against the in-process services, as modules of one process see them.
describeLockerPort('in-process', localPorts);
describeLimiterPort('in-process', localPorts);
