import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsNotEmpty, IsString, MaxLength, ValidateNested } from 'class-validator';
import { parseSafeInt } from '../../../common/names';
import { NestedDto } from '../../../platform/http/dto/dto-instance';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import { BATCH_MAX } from '../../domain/validate';
import type { AckCommand } from '../../willow.port';

const attempt = (v: unknown, p: string) => parseSafeInt(v, p, { min: 1, max: Number.MAX_SAFE_INTEGER });

export class AttemptBody {
  /** The `Attempt` the dequeue answered; when given, a delivery that is no longer current gets 409 LEASE_LOST. */
  @ApiProperty({ required: false, type: 'integer', minimum: 1 })
  @ParsedBy(attempt, { optional: true })
  readonly Attempt?: number;
}

export class AckBody extends AttemptBody {
  /** True: the item is done and removed. False: it failed and is retried or dead-lettered. */
  @IsBoolean()
  readonly Passed!: boolean;
}

export class AckBatchEntry extends AckBody {
  /** The item's ID. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  readonly ID!: string;

  toCommand(): AckCommand {
    return { id: this.ID, passed: this.Passed, attempt: this.Attempt ?? null };
  }
}

export class AckBatchBody {
  /** 1-1000 acks, each judged on its own; every accepted one is committed together. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_MAX)
  @ValidateNested({ each: true })
  @NestedDto(() => AckBatchEntry)
  readonly Acks!: AckBatchEntry[];
}
