import { ApiProperty } from '@nestjs/swagger';
import { ACK_ERROR_MAX_BYTES, ITEM_ID_MAX_LENGTH, parseAck, parseAckBatch, parseHeartbeat } from '../../domain/validate-consumer';
import type { AckCommand } from '../../willow.port';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseHeartbeat`. */
export class AttemptBody {
  static readonly parse: (raw: unknown, path: string) => unknown = parseHeartbeat;

  /** The `Attempt` the dequeue answered; when given, a delivery that is no longer current gets 409 LEASE_LOST. */
  @ApiProperty({ required: false, type: 'integer', minimum: 1 })
  readonly Attempt?: number;

  attempt(): number | null {
    return commandOf(this, parseHeartbeat).attempt;
  }
}

/** Judged by `parseAck`. */
export class AckBody extends AttemptBody {
  static override readonly parse = parseAck;

  /** True: the item is done and removed. False: it failed and is retried or dead-lettered. */
  readonly Passed!: boolean;

  /** Why the delivery failed (only with `Passed: false`); kept as the item's and its dead letter's `LastError`. */
  @ApiProperty({ required: false, maxLength: ACK_ERROR_MAX_BYTES, description: `Why the delivery failed, at most ${ACK_ERROR_MAX_BYTES} bytes as UTF-8; only with Passed false. Kept as the item's and its dead letter's LastError.` })
  readonly Error?: string;

  toCommand(id: string): AckCommand {
    return { id, ...commandOf(this, parseAck) };
  }
}

/** One entry of an ack batch; `parseAckBatch` judges the whole batch. */
export class AckBatchEntry extends AckBody {
  /** The item's ID. */
  @ApiProperty({ maxLength: ITEM_ID_MAX_LENGTH })
  readonly ID!: string;
}

/** Judged by `parseAckBatch`: each entry as a single ack plus its `ID`, faults naming the index (`Acks[2].ID`). */
export class AckBatchBody {
  static readonly parse = parseAckBatch;

  /** 1-1000 acks, each judged on its own; every accepted one is committed together. */
  @ApiProperty({ type: [AckBatchEntry], minItems: 1 })
  readonly Acks!: AckBatchEntry[];

  toCommand(): AckCommand[] {
    return commandOf(this, parseAckBatch);
  }
}
