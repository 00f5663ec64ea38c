export { AuthModule } from './auth.module';
export type { AuthErrorCode } from './domain/auth.errors';
export { authErrorStatus } from './http/auth.error-status';
