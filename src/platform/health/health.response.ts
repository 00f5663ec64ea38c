import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

const INDICATORS = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
  example: { store: { status: 'up', kind: 'embedded' }, lifecycle: { status: 'up' } },
} as ApiPropertyOptions;

/** 200 body of the health routes (@nestjs/terminus's HealthCheckResult): every indicator is up. */
export class HealthResponse {
  /** Always "ok" on 200. */
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  readonly status!: 'ok';

  /** The indicators that are up, by name, with their details. */
  @ApiProperty({ ...INDICATORS, required: false } as ApiPropertyOptions)
  readonly info?: Record<string, { status: string }>;

  /** The indicators that are down (empty on 200). */
  @ApiProperty({ ...INDICATORS, required: false, example: {} } as ApiPropertyOptions)
  readonly error?: Record<string, { status: string }>;

  /** Every indicator, by name. */
  @ApiProperty(INDICATORS)
  readonly details!: Record<string, { status: string }>;
}
