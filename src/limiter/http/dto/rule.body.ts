import { ApiProperty } from '@nestjs/swagger';
import { parseName } from '../../../common/names';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import type { Tags } from '../../../common/tags';
import { parseAnyTags, parseGroupBy, parseLimit } from '../../domain/validate';
import type { CreateOverride, CreateRule } from '../../limiter-admin.port';
import { ApiLimit } from './api-limiter-properties';

export class CreateRuleBody {
  /** Unique rule name: 1-128 characters, no "/" and no control characters. */
  @ApiProperty({ example: 'limit_cicd_branch_builds', minLength: 1, maxLength: 128 })
  @ParsedBy(parseName)
  readonly Name!: string;

  /** Tag keys that form a group: counters with equal values on all of them share the Limit. 1-64 distinct keys
   * (order is kept, identity is the set); the rule applies only to counters holding every one of them. */
  @ApiProperty({ type: [String], minItems: 1, maxItems: 64, example: ['repo_name', 'branch_name'] })
  @ParsedBy(parseGroupBy)
  readonly GroupBy!: string[];

  /** -1 unlimited, 0 nothing allowed, n at most n per group (max 1000000000). */
  @ApiLimit({ example: 1 })
  @ParsedBy(parseLimit)
  readonly Limit!: number;

  toCommand(): CreateRule {
    return { name: this.Name, groupBy: this.GroupBy, limit: this.Limit };
  }
}

/** `PUT` of a rule or override: only the Limit can change (GroupBy and KeyValues are immutable). */
export class UpdateLimitBody {
  /** -1 unlimited, 0 nothing allowed, n at most n (max 1000000000). */
  @ApiLimit()
  @ParsedBy(parseLimit)
  readonly Limit!: number;
}

export class CreateOverrideBody {
  /** Override name, unique within its rule: 1-128 characters, no "/" and no control characters. */
  @ApiProperty({ example: 'willow_main', minLength: 1, maxLength: 128 })
  @ParsedBy(parseName)
  readonly Name!: string;

  /** A value for every GroupBy key of the rule, plus any further keys; the override applies to counters holding
   * all of these key values, and then replaces the rule's own Limit. */
  @ApiKeyValues()
  @ParsedBy(parseAnyTags)
  readonly KeyValues!: Tags;

  /** -1 unlimited, 0 nothing allowed, n at most n (max 1000000000). */
  @ApiLimit({ example: 9001 })
  @ParsedBy(parseLimit)
  readonly Limit!: number;

  toCommand(rule: string): CreateOverride {
    return { rule, name: this.Name, keyValues: this.KeyValues, limit: this.Limit };
  }
}
