export * from './willow.port';
export { WillowModule } from './willow.module';
export type { WillowErrorCode } from './domain/willow.errors';
export { willowErrorStatus } from './http/willow.error-status';
