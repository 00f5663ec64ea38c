export * from './locker.port';
export { LockerModule } from './locker.module';
export type { LockerErrorCode } from './domain/locker.errors';
export { lockerErrorStatus } from './http/locker.error-status';
