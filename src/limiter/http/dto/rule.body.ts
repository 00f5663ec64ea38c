import { ApiProperty } from '@nestjs/swagger';
import type { Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { parseCreateOverride, parseCreateRule, parseUpdateLimit } from '../../domain/validate';
import type { CreateOverride, CreateRule } from '../../limiter-admin.port';
import { ApiLimit } from './api-limiter-properties';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Judged by `parseCreateRule`. */
export class CreateRuleBody {
  static readonly parse = parseCreateRule;

  /** Unique rule name: 1-128 characters, no "/" and no control characters. */
  @ApiProperty({ example: 'limit_cicd_branch_builds', minLength: 1, maxLength: 128 })
  readonly Name!: string;

  /** Tag keys that form a group: counters with equal values on all of them share the Limit. 1-64 distinct keys
   * (order is kept, identity is the set); the rule applies only to counters holding every one of them. */
  @ApiProperty({ type: [String], minItems: 1, maxItems: 64, example: ['repo_name', 'branch_name'] })
  readonly GroupBy!: string[];

  /** -1 unlimited, 0 nothing allowed, n at most n per group (max 1000000000). */
  @ApiLimit({ example: 1 })
  readonly Limit!: number;

  toCommand(): CreateRule {
    return commandOf(this, parseCreateRule);
  }
}

/** `PUT` of a rule or override, judged by `parseUpdateLimit`: only the Limit can change (GroupBy and KeyValues are immutable). */
export class UpdateLimitBody {
  static readonly parse = parseUpdateLimit;

  /** -1 unlimited, 0 nothing allowed, n at most n (max 1000000000). */
  @ApiLimit()
  readonly Limit!: number;

  limit(): number {
    return commandOf(this, parseUpdateLimit).limit;
  }
}

/** Judged by `parseCreateOverride`. */
export class CreateOverrideBody {
  static readonly parse = parseCreateOverride;

  /** Override name, unique within its rule: 1-128 characters, no "/" and no control characters. */
  @ApiProperty({ example: 'willow_main', minLength: 1, maxLength: 128 })
  readonly Name!: string;

  /** A value for every GroupBy key of the rule, plus any further keys; the override applies to counters holding
   * all of these key values, and then replaces the rule's own Limit. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  /** -1 unlimited, 0 nothing allowed, n at most n (max 1000000000). */
  @ApiLimit({ example: 9001 })
  readonly Limit!: number;

  toCommand(rule: string): CreateOverride {
    return { rule, ...commandOf(this, parseCreateOverride) };
  }
}
