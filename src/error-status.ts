import { authErrorStatus } from './auth';
import { limiterErrorStatus } from './limiter';
import { lockerErrorStatus } from './locker';
import { willowErrorStatus } from './willow';
import { kernelErrorStatus, type ErrorStatusTable } from './platform/http/kernel.error-status';

/** HTTP status of every stable error code; a code without a status fails to compile in its module's table. */
export const errorStatusTable: ErrorStatusTable = { ...kernelErrorStatus, ...limiterErrorStatus, ...lockerErrorStatus,
  ...willowErrorStatus, ...authErrorStatus,
};
