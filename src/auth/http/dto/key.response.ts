import { ApiProperty } from '@nestjs/swagger';
import { SCOPES } from '../../../common/scopes';
import type { StoredKey } from '../../auth.store';

/** A key as listed: never the key itself. */
export class KeyResponse {
  @ApiProperty({ example: 'ci-runners' })
  readonly Name!: string;

  @ApiProperty({ type: 'array', items: { type: 'string', enum: [...SCOPES] }, example: ['queues:consume', 'queues:read'] })
  readonly Scopes!: string[];

  /** Queue name patterns narrowing the `queues:*` scopes; null = every queue. */
  @ApiProperty({ type: 'array', items: { type: 'string' }, nullable: true, example: ['ci-*'] })
  readonly Queues!: string[] | null;

  /** When the key was created (ISO-8601). */
  readonly CreatedAt!: string;

  static from(key: StoredKey): KeyResponse {
    return { Name: key.name, Scopes: [...key.scopes], Queues: key.queues === null ? null : [...key.queues], CreatedAt: new Date(key.createdAt).toISOString() };
  }
}

/** A new key: the only answer that ever holds `Key`. */
export class CreatedKeyResponse extends KeyResponse {
  /** The key: `wk_` and 43 base64url characters. Shown once; Willow keeps only its hash. Send it as `Authorization: Bearer <Key>`. */
  @ApiProperty({ example: 'wk_3q2-7wAAAAB0ZXN0LWtleS1ub3QtcmVhbC1qdXN0LWFuLWV4YW1wbGU' })
  readonly Key!: string;
}
