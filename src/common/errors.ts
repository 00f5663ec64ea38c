/**
 * Errors are data: every failure a client can cause carries a stable `code` (DESIGN.md §2). Code switches on
 * `code`, never on `instanceof`, because only the code survives a transport.
 */
export abstract class DomainError<C extends string = string> extends Error {
  abstract readonly code: C;
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Codes raised by the shared kernel and the platform, shared by every module. */
export type KernelErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_JSON'
  | 'TOO_DEEP'
  | 'TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'STORAGE_FULL'
  | 'STORE_UNAVAILABLE'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'SHUTTING_DOWN'
  | 'BACKUP_IN_PROGRESS'
  | 'BACKUP_UNSUPPORTED'
  | 'UNAUTHENTICATED'
  | 'INTERNAL';

/** Client input that breaks a rule; `path` names the field at fault (`KeyValues.os`, `Where.os.$gt`). */
export class InvalidInputError extends DomainError<'INVALID_INPUT'> {
  readonly code = 'INVALID_INPUT';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem, path ? { Path: path } : {});
  }
}

/** A request body that is not JSON, or could not be decoded (broken `Content-Encoding`, unsupported charset). */
export class InvalidJsonError extends DomainError<'INVALID_JSON'> {
  readonly code = 'INVALID_JSON';
}

export class TooDeepError extends DomainError<'TOO_DEEP'> {
  readonly code = 'TOO_DEEP';
  constructor(maxDepth: number) {
    super(`Request body is nested deeper than ${maxDepth} levels; flatten it`, { MaxDepth: maxDepth });
  }
}

export class TooLargeError extends DomainError<'TOO_LARGE'> {
  readonly code = 'TOO_LARGE';
  constructor(what: string, limitBytes: number) {
    super(`${what} is larger than ${limitBytes} bytes; send less data per request`, { LimitBytes: limitBytes });
  }
}

/**
 * No key, an unknown or revoked key, a client protected mode does not answer, or an RPC message without this
 * deployment's transport secret.
 */
export class UnauthenticatedError extends DomainError<'UNAUTHENTICATED'> {
  readonly code = 'UNAUTHENTICATED';
}

export class AlreadyExistsError extends DomainError<'ALREADY_EXISTS'> {
  readonly code = 'ALREADY_EXISTS';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, details);
  }
}

export class StorageFullError extends DomainError<'STORAGE_FULL'> {
  readonly code = 'STORAGE_FULL';
  constructor() {
    super('The data directory is full; free disk space and retry (nothing acknowledged was lost)');
  }
}

export class StoreUnavailableError extends DomainError<'STORE_UNAVAILABLE'> {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(cause: string, advice = 'retry shortly') {
    super(`The store is unavailable (${cause}); ${advice}`);
  }
}

export class DependencyUnavailableError extends DomainError<'DEPENDENCY_UNAVAILABLE'> {
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  constructor(dependency: string, cause: string) {
    super(`${dependency} is unreachable (${cause}); retry shortly`, { Dependency: dependency });
  }
}

export class ShuttingDownError extends DomainError<'SHUTTING_DOWN'> {
  readonly code = 'SHUTTING_DOWN';
  constructor() {
    super('Willow is shutting down; retry against another instance or after restart');
  }
}

export class BackupInProgressError extends DomainError<'BACKUP_IN_PROGRESS'> {
  readonly code = 'BACKUP_IN_PROGRESS';
  constructor() {
    super('A backup of this store is already being taken; retry when it has been downloaded');
  }
}

export class BackupUnsupportedError extends DomainError<'BACKUP_UNSUPPORTED'> {
  readonly code = 'BACKUP_UNSUPPORTED';
  constructor() {
    super('This process keeps its data in PostgreSQL, which is backed up with its own tools (pg_dump, base backups); GET /v1/backup copies the embedded store only');
  }
}

/** The string `code` an error carries (a DomainError's stable code, a driver's SQLSTATE or errno), if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Rebuilds an error from its wire form (`{Message, Code, ...details}`), e.g. after an RPC hop. */
export class RemoteDomainError extends DomainError {
  constructor(
    readonly code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}
