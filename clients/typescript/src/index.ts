export { Willow, type WillowOptions } from './client';
export { WillowError, isTransient } from './errors';
export { call, callWithResponse, type ApiResult, type Duration } from './http';
export { backoffDelay, type BackoffOptions } from './backoff';
export { ACK_ERROR_MAX_BYTES, ackErrorText, type Delivery, type Handler, type HandlerContext, type Query, type Worker, type WorkerErrorPhase, type WorkerOptions } from './worker';
export { type KeyValues, type LockContext, type LockOptions } from './lock';
export type { components, operations, paths } from './generated/schema';
