import { ApiProperty } from '@nestjs/swagger';
import { SCOPES } from '../../../common/scopes';
import { commandOf } from '../../../platform/http/dto/dto-instance';
import { parseCreateKey, type CreateKeyCommand } from '../../domain/validate-key';

/** Judged by `parseCreateKey`. */
export class CreateKeyBody {
  static readonly parse = parseCreateKey;

  /** 1-128 characters, no control characters and no `/`; named in logs for every request made with the key. */
  @ApiProperty({ example: 'ci-runners' })
  readonly Name!: string;

  /** What the key may do; `admin` is everything, keys included. */
  @ApiProperty({ type: 'array', items: { type: 'string', enum: [...SCOPES] }, example: ['queues:consume', 'queues:read'] })
  readonly Scopes!: string[];

  /** Queue name patterns (`*` matches any run of characters) narrowing the `queues:*` scopes; absent = every queue. */
  @ApiProperty({ required: false, type: 'array', items: { type: 'string' }, example: ['ci-*'] })
  readonly Queues?: string[];

  toCommand(): CreateKeyCommand {
    return commandOf(this, parseCreateKey);
  }
}
