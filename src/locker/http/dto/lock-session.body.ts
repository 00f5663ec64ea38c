import { ApiProperty } from '@nestjs/swagger';
import { parseLockSession, parseReleaseLock, SESSION_ID_MAX_LENGTH } from '../../domain/validate';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseLockSession`. */
export class LockSessionBody {
  static readonly parse = parseLockSession;

  /** The SessionID of the grant. */
  @ApiProperty({ maxLength: SESSION_ID_MAX_LENGTH })
  readonly SessionID!: string;

  sessionId(): string {
    return commandOf(this, parseLockSession).sessionId;
  }
}

/** Judged by `parseReleaseLock`. */
export class ReleaseLockBody {
  static readonly parse = parseReleaseLock;

  /** The SessionID of the grant (or pass `?SessionID=`). */
  @ApiProperty({ required: false, maxLength: SESSION_ID_MAX_LENGTH })
  readonly SessionID?: string;

  sessionId(): string | undefined {
    return commandOf(this, parseReleaseLock).sessionId;
  }
}
