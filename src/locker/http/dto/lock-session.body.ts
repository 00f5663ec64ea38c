import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class LockSessionBody {
  /** The SessionID of the grant. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  readonly SessionID!: string;
}

export class ReleaseLockBody {
  /** The SessionID of the grant (or pass `?SessionID=`). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  readonly SessionID?: string;
}
