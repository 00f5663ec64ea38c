export * from './limiter.port';
export * from './limiter-admin.port';
export { LimiterModule } from './limiter.module';
export type { LimiterErrorCode } from './domain/limiter.errors';
export { limiterErrorStatus } from './http/limiter.error-status';
