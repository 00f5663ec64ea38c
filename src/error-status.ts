import { lockerErrorStatus } from './locker';
import { kernelErrorStatus, type ErrorStatusTable } from './platform/http/kernel.error-status';

/** HTTP status of every stable error code; a code without a status fails to compile in its module's table. */
export const errorStatusTable: ErrorStatusTable = { ...kernelErrorStatus, ...lockerErrorStatus };
