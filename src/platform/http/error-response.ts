import { ApiProperty } from '@nestjs/swagger';

/** The one error body of every route: what is wrong and how to fix it, plus a stable code. */
export class ErrorResponse {
  /** What is wrong and how to fix it. */
  @ApiProperty({ example: 'KeyValues.os: must be a string, finite number or boolean; null is not allowed' })
  readonly Message!: string;
  /** Stable machine-readable code (INVALID_INPUT, QUEUE_NOT_FOUND, LIMIT_REACHED, ...); switch on it, not on Message. */
  @ApiProperty({ example: 'INVALID_INPUT' })
  readonly Code!: string;
  /** The field at fault, for INVALID_INPUT. */
  @ApiProperty({ required: false, example: 'KeyValues.os' })
  readonly Path?: string;
}
